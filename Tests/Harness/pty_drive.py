"""Drives tokenvault on a real pseudo-terminal, as a person at a terminal would, and reports as
JSON what the terminal showed and in which state the command left it.

usage: pty_drive.py STEPS_JSON TOKENVAULT ARGS...   (environment: passed to tokenvault as is)

STEPS_JSON is a list of steps:
  {"wait": "text"}       wait (at most 20 s) until the output contains text
  {"send": "text"}       type text (a paste: all at once)
  {"signal": "TERM"}     send a signal to the command
  {"sleep": 0.2}
  {"echo": true}         record whether the terminal echoes now (ECHO in c_lflag)
  {"run": [argv], "with": "regex"}
                         run argv with the first match of regex in the output so far as its
                         last argument, and type what it prints (a person copying an address
                         from a browser)
The child has the terminal as its controlling terminal and stdin, stdout and stderr, so Ctrl-C
("\u0003") and Ctrl-\\ ("\u001c") reach it through the line discipline, as from a keyboard.
"""
import fcntl, json, os, re, select, signal, subprocess, sys, termios, time

steps, argv = json.loads(sys.argv[1]), sys.argv[2:]
master, slave = os.openpty()
attributes = termios.tcgetattr(slave)
attributes[3] |= termios.ECHO | termios.ICANON | termios.ISIG
termios.tcsetattr(slave, termios.TCSANOW, attributes)
pid = os.fork()
if pid == 0:
    # As from a shell at a terminal: no signal blocked, the job-control signals at their defaults
    # (whatever the test runner that started this script had set).
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGTSTP, signal.SIGCONT):
        signal.signal(number, signal.SIG_DFL)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.close(slave)
    os.execve(argv[0], argv, dict(os.environ))

output = b""
def pump(timeout):
    global output
    ready, _, _ = select.select([master], [], [], timeout)
    if ready:
        try:
            output += os.read(master, 65536)
        except OSError:
            pass

echo_states = []
for step in steps:
    if "wait" in step:
        deadline = time.time() + 20
        while step["wait"].encode() not in output and time.time() < deadline:
            pump(0.05)
    elif "send" in step:
        os.write(master, step["send"].encode())
    elif "run" in step:
        match = re.search(step["with"], output.decode(errors="replace"))
        typed = subprocess.run(step["run"] + [match.group(0) if match else ""], capture_output=True, text=True).stdout
        os.write(master, typed.strip().encode() + b"\n")
    elif "signal" in step:
        os.kill(pid, getattr(signal, "SIG" + step["signal"]))
    elif "sleep" in step:
        end = time.time() + step["sleep"]
        while time.time() < end:
            pump(0.02)
    elif "echo" in step:
        echo_states.append(bool(termios.tcgetattr(slave)[3] & termios.ECHO))

deadline = time.time() + 20
status = None
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    pump(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
for _ in range(5):
    pump(0.02)
print(json.dumps({
    "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    "echo_after": bool(termios.tcgetattr(slave)[3] & termios.ECHO),
    "echo_states": echo_states,
    "output": output.decode("utf-8", "replace"),
}))
