#ifndef TOKENVAULT_CPROCESS_SHIM_H
#define TOKENVAULT_CPROCESS_SHIM_H
#include <errno.h>
#include <stdint.h>
#include <ucontext.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

/* Process-wide settings that keep secrets out of core dumps, crash reports and a terminal left
   without echo. In C because prctl is variadic (Swift does not import it) and because what runs
   in a signal handler must be async-signal-safe: no allocation, no locks, no Swift runtime.
   The state the handlers need lives in function-local statics: Swift emits a header's functions
   but not its global variables. Each group of functions is called from one Swift file only
   (CrashDumps.swift, TerminalEcho.swift), so each group sees one copy of its state. */

/* RLIMIT_CORE 0, soft and hard (nothing in the process can raise it again), then
   PR_SET_DUMPABLE 0 (no core even through a core_pattern pipe, and no ptrace or /proc/PID/mem
   access by other processes of the same user). 0 on success, -1 with errno otherwise. */
static inline int tokenvault_disable_core_dumps(void) {
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) return -1;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static inline int tokenvault_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

/* ---- Crash reports: the signal and the faulting instruction's address, never memory contents. ---- */

typedef struct {
    char label[64];
    size_t length;
    /* Where the executable is loaded, so that the address can be turned into an offset. */
    uintptr_t image_base;
} tokenvault_crash_state;

static inline tokenvault_crash_state *tokenvault_crash(void) {
    static tokenvault_crash_state state;
    return &state;
}

static inline void tokenvault_write_all(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written < 0) { if (errno == EINTR) continue; return; }
        text += written;
        length -= (size_t)written;
    }
}

static inline void tokenvault_write_text(int fd, const char *text) {
    tokenvault_write_all(fd, text, strlen(text));
}

static inline const char *tokenvault_signal_name(int signo) {
    switch (signo) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    case SIGTRAP: return "SIGTRAP";
    case SIGQUIT: return "SIGQUIT";
    case SIGSYS: return "SIGSYS";
    default: return "?";
    }
}

/* The first byte of the executable, placed by the linker (GNU ld, gold and lld all define it). */
extern char __executable_start;

static inline void tokenvault_write_hex(int fd, uintptr_t value) {
    char digits[2 + 2 * sizeof value];
    int at = (int)sizeof digits;
    do { digits[--at] = "0123456789abcdef"[value & 0xf]; value >>= 4; } while (value != 0 && at > 2);
    digits[--at] = 'x';
    digits[--at] = '0';
    tokenvault_write_all(fd, digits + at, sizeof digits - (size_t)at);
}

/* The address of the instruction that faulted, from the signal's saved context; 0 where this
   architecture is not known here. */
static inline uintptr_t tokenvault_fault_address(void *context) {
#if defined(__x86_64__)
    return (uintptr_t)((ucontext_t *)context)->uc_mcontext.gregs[16]; /* REG_RIP */
#elif defined(__aarch64__)
    return (uintptr_t)((ucontext_t *)context)->uc_mcontext.pc;
#else
    (void)context;
    return 0;
#endif
}

static void tokenvault_crash_handler(int signo, siginfo_t *info, void *context) {
    (void)info;
    char number[4] = {0};
    int at = 3, value = signo;
    do { number[--at] = (char)('0' + value % 10); value /= 10; } while (value > 0 && at > 0);
    tokenvault_write_all(STDERR_FILENO, tokenvault_crash()->label, tokenvault_crash()->length);
    tokenvault_write_text(STDERR_FILENO, ": crashed with signal ");
    tokenvault_write_text(STDERR_FILENO, number + at);
    tokenvault_write_text(STDERR_FILENO, " (");
    tokenvault_write_text(STDERR_FILENO, tokenvault_signal_name(signo));
    tokenvault_write_text(STDERR_FILENO, "); this is a bug. No core dump is written and no memory is printed; faulting instruction at ");
    uintptr_t address = tokenvault_fault_address(context);
    tokenvault_write_hex(STDERR_FILENO, address);
    uintptr_t base = tokenvault_crash()->image_base;
    if (base != 0 && address >= base) {
        tokenvault_write_text(STDERR_FILENO, " (offset ");
        tokenvault_write_hex(STDERR_FILENO, address - base);
        tokenvault_write_text(STDERR_FILENO, " in the executable, or in a library loaded above it)");
    }
    tokenvault_write_text(STDERR_FILENO, "\n");
    /* SA_RESETHAND made the default action current: the signal, blocked while this handler runs,
       ends the process as soon as the handler returns (a fault also recurs on return). */
    raise(signo);
}

/* Replaces the handlers of the crash signals (the Swift runtime's backtracer prints registers
   and 16 bytes of the memory each one points to) with tokenvault_crash_handler. */
static inline int tokenvault_install_crash_handler(const char *label) {
    size_t length = strlen(label);
    if (length >= sizeof tokenvault_crash()->label) length = sizeof tokenvault_crash()->label - 1;
    memcpy(tokenvault_crash()->label, label, length);
    tokenvault_crash()->length = length;
    /* No unwinding in the handler: backtrace() would have to load the unwinder first (about
       0.15 ms of every start, as it may allocate and so cannot be first called in a crash). The
       faulting instruction and the image base locate the crash without it. */
    tokenvault_crash()->image_base = (uintptr_t)&__executable_start;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = tokenvault_crash_handler;
    sigemptyset(&action.sa_mask);
    /* On the alternate stack the Swift runtime set up, so that a stack overflow is reported too. */
    action.sa_flags = SA_RESETHAND | SA_ONSTACK | SA_SIGINFO;
    static const int signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGQUIT, SIGSYS};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    return 0;
}

/* ---- A terminal with echo off, restored whatever signal ends the process. ---- */

static const int tokenvault_terminal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT};
#define TOKENVAULT_TERMINAL_SIGNALS (sizeof tokenvault_terminal_signals / sizeof tokenvault_terminal_signals[0])
typedef struct {
    int fd;
    struct termios saved;
    struct termios silent;
    volatile sig_atomic_t active;
    struct sigaction previous[TOKENVAULT_TERMINAL_SIGNALS];
    int installed[TOKENVAULT_TERMINAL_SIGNALS];
} tokenvault_terminal_state;

static inline tokenvault_terminal_state *tokenvault_terminal(void) {
    static tokenvault_terminal_state state = {.fd = -1};
    return &state;
}

static void tokenvault_terminal_handler(int signo) {
    int saved_errno = errno;
    if (tokenvault_terminal()->active) {
        if (signo == SIGCONT) {
            /* Back from a stop (Ctrl-Z, fg): echo off again for the rest of the prompt. */
            tcsetattr(tokenvault_terminal()->fd, TCSANOW, &tokenvault_terminal()->silent);
            errno = saved_errno;
            return;
        }
        /* TCSAFLUSH: input typed but not read (half a token) is discarded, not echoed once echo
           is back on, and not left for the shell to read. */
        tcsetattr(tokenvault_terminal()->fd, TCSAFLUSH, &tokenvault_terminal()->saved);
    }
    if (signo == SIGTSTP) {
        /* Stop as the default action would; SIGCONT turns echo off again. */
        raise(SIGSTOP);
        errno = saved_errno;
        return;
    }
    if (signo == SIGCONT) { errno = saved_errno; return; }
    /* Whatever handled the signal before (the default: end the process) handles it now. */
    for (size_t i = 0; i < TOKENVAULT_TERMINAL_SIGNALS; i++) {
        if (tokenvault_terminal_signals[i] == signo) sigaction(signo, &tokenvault_terminal()->previous[i], NULL);
    }
    raise(signo);
    errno = saved_errno;
}

/* Turns echo off on `fd` (newlines still echo) and installs handlers that restore the saved
   settings on SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGTSTP, then let the signal do what it did
   before; a signal the process ignores stays ignored. 0 on success, -1 when fd is no terminal. */
static inline int tokenvault_terminal_begin(int fd) {
    if (tcgetattr(fd, &tokenvault_terminal()->saved) != 0) return -1;
    tokenvault_terminal()->fd = fd;
    tokenvault_terminal()->silent = tokenvault_terminal()->saved;
    tokenvault_terminal()->silent.c_lflag &= ~(tcflag_t)ECHO;
    tokenvault_terminal()->silent.c_lflag |= (tcflag_t)ECHONL;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = tokenvault_terminal_handler;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < TOKENVAULT_TERMINAL_SIGNALS; i++) sigaddset(&action.sa_mask, tokenvault_terminal_signals[i]);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < TOKENVAULT_TERMINAL_SIGNALS; i++) {
        tokenvault_terminal()->installed[i] = 0;
        if (sigaction(tokenvault_terminal_signals[i], NULL, &tokenvault_terminal()->previous[i]) != 0) continue;
        if (tokenvault_terminal()->previous[i].sa_handler == SIG_IGN) continue;
        if (sigaction(tokenvault_terminal_signals[i], &action, NULL) == 0) tokenvault_terminal()->installed[i] = 1;
    }
    tokenvault_terminal()->active = 1;
    tcsetattr(fd, TCSANOW, &tokenvault_terminal()->silent);
    return 0;
}

/* Restores the settings and the previous handlers. */
static inline void tokenvault_terminal_end(void) {
    if (tokenvault_terminal()->fd < 0) return;
    /* Discards what was pasted beyond the answers read, rather than echo it and hand it to the shell. */
    tcsetattr(tokenvault_terminal()->fd, TCSAFLUSH, &tokenvault_terminal()->saved);
    tokenvault_terminal()->active = 0;
    for (size_t i = 0; i < TOKENVAULT_TERMINAL_SIGNALS; i++) {
        if (tokenvault_terminal()->installed[i]) sigaction(tokenvault_terminal_signals[i], &tokenvault_terminal()->previous[i], NULL);
        tokenvault_terminal()->installed[i] = 0;
    }
    tokenvault_terminal()->fd = -1;
}

/* ---- Termination: SIGTERM and SIGINT remove a socket path and exit 0. ---- */

/* The path to remove, copied in before the handler is installed; empty: none. Called from
   SignalTermination.swift only. */
static inline char *tokenvault_termination_path(void) {
    static char path[4096];
    return path;
}

static inline void tokenvault_termination_handler(int signo) {
    (void)signo;
    if (tokenvault_termination_path()[0] != 0) unlink(tokenvault_termination_path());
    _exit(0);
}

/* Installs the handler for SIGTERM and SIGINT, removing `path` (NULL: nothing) before _exit(0):
   unlink and _exit are async-signal-safe, so whichever thread takes the signal ends the process
   cleanly. 0 on success, -1 with errno otherwise. */
static inline int tokenvault_exit_on_termination(const char *path) {
    if (path != NULL) {
        size_t length = strlen(path);
        if (length >= 4096) { errno = ENAMETOOLONG; return -1; }
        memcpy(tokenvault_termination_path(), path, length + 1);
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = tokenvault_termination_handler;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
    return sigaction(SIGINT, &action, NULL);
}

#endif
