"""Starts tokenvault with a partial token on a pipe, looks at it while it waits, crashes it with
SIGSEGV and reports, as JSON, what a user would find: whether it dumped core, whether it was
dumpable, its core-size limit, and what it printed.

usage: crash_probe.py WORKDIR TOKENVAULT ARGS...   (environment: passed to tokenvault as is)

The child gets an unlimited RLIMIT_CORE and WORKDIR (0777) as its folder, so that a dumpable
child really writes WORKDIR/core*. As root it runs as 'nobody': /proc/PID is then owned by root
only when the child made itself non-dumpable; as any other user the same holds for its own uid.
"""
import json, os, pwd, resource, select, signal, sys, time

workdir, argv = sys.argv[1], sys.argv[2:]
uid = pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else os.geteuid()
gid = pwd.getpwnam("nobody").pw_gid if os.geteuid() == 0 else os.getegid()
stdin_r, stdin_w = os.pipe()
err_r, err_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.chdir(workdir)
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.dup2(stdin_r, 0)
    os.dup2(err_w, 1)
    os.dup2(err_w, 2)
    for fd in (stdin_r, stdin_w, err_r, err_w):
        os.close(fd)
    os.execve(argv[0], argv, dict(os.environ))
os.close(stdin_r)
os.close(err_w)
# Part of a token, and no end of input: the child reads it and waits for more.
os.write(stdin_w, b'{"access_token":"tvsecret-crash-probe-0123456789abcdef')
time.sleep(1.0)
limits = open(f"/proc/{pid}/limits").read()
core_limit = next((line for line in limits.splitlines() if line.startswith("Max core file size")), "")
proc_owner = os.stat(f"/proc/{pid}/status").st_uid
os.kill(pid, signal.SIGSEGV)
# A crash handler that never finishes (Swift's backtracer waits on its helper) is a failure too:
# after 30 s the child is killed and reported as hung.
output = b""
deadline = time.time() + 30
status, hung = None, False
while status is None:
    ready, _, _ = select.select([err_r], [], [], 0.1)
    if ready:
        output += os.read(err_r, 65536)
    done, wait_status = os.waitpid(pid, os.WNOHANG)
    if done:
        status = wait_status
    elif time.time() > deadline:
        hung = True
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
while True:
    ready, _, _ = select.select([err_r], [], [], 0.1)
    chunk = os.read(err_r, 65536) if ready else b""
    if not chunk:
        break
    output += chunk
print(json.dumps({
    "child_uid": uid,
    "hung": hung,
    "proc_owner": proc_owner,
    "core_limit": core_limit,
    "signaled": os.WIFSIGNALED(status),
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
    "core_dumped": os.WCOREDUMP(status),
    "core_files": sorted(name for name in os.listdir(workdir) if name.startswith("core")),
    "output": output.decode("utf-8", "replace"),
}))
