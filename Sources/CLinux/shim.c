#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include "CLinux.h"

// `__tsan_acquire` (declared weak in CLinux.h) is defined by the ThreadSanitizer runtime: null when it is not
// linked in.

// The per-request system calls go straight to the kernel: in a process with more than one thread, glibc's
// wrappers for accept4, recv, sendmsg and epoll_wait (cancellation points) turn asynchronous cancellation on and
// off around each call, about 30 instructions a call, and httpsh never cancels a thread. Under ThreadSanitizer
// the wrappers stay: its interceptors of these calls are how it sees the hand-offs through epoll and sockets.
#define CLINUX_DIRECT (!__tsan_acquire)

int clinux_accept_nonblocking(int listener, struct sockaddr *address, socklen_t *length) {
    if (CLINUX_DIRECT) return (int)syscall(SYS_accept4, listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

ssize_t clinux_recv(int fd, void *buffer, size_t count) {
    if (CLINUX_DIRECT) return syscall(SYS_recvfrom, fd, buffer, count, 0, NULL, NULL);
    return recv(fd, buffer, count, 0);
}

ssize_t clinux_sendmsg(int fd, const struct msghdr *message, int flags) {
    if (CLINUX_DIRECT) return syscall(SYS_sendmsg, fd, message, flags);
    return sendmsg(fd, message, flags);
}

int clinux_epoll_wait(int epoll, struct epoll_event *events, int capacity, int timeout) {
    if (CLINUX_DIRECT) return (int)syscall(SYS_epoll_wait, epoll, events, capacity, timeout);
    return epoll_wait(epoll, events, capacity, timeout);
}

void clinux_set_thread_name(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

int clinux_usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

long clinux_peer_uid(int fd) {
    struct ucred credentials;
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return (long)credentials.uid;
}

int clinux_syncfs(int fd) {
    return syncfs(fd);
}

int clinux_reuseport_steer(int fd, unsigned index) {
    struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, index) };
    struct sock_fprog program = { .len = 1, .filter = code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
}

int clinux_reuseport_unsteer(int fd) {
    int unused = 0;
    return setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &unused, sizeof unused);
}

static volatile sig_atomic_t resize_fd = -1;

static void on_resize(int signal) {
    (void)signal;
    int saved = errno;
    char byte = 1;
    if (resize_fd >= 0) (void)!write(resize_fd, &byte, 1);
    errno = saved;
}

int clinux_notify_on_resize(int fd) {
    struct sigaction action = {0};
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    action.sa_handler = fd >= 0 ? on_resize : SIG_DFL;
    resize_fd = fd;
    if (sigaction(SIGWINCH, &action, NULL) != 0) return -1;
    // A process started with SIGWINCH blocked (spawned from a thread that blocks signals, as a test runner's
    // threads do) would never see it: let at least this thread take it.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    return pthread_sigmask(fd >= 0 ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL) == 0 ? 0 : -1;
}

// LeakSanitizer reads these suppressions in every process of a sanitizer build (`make sanitize`), the servers the
// tests start in tmux too, which do not inherit LSAN_OPTIONS. libedit's narrow `el_set(EL_ADDFN)` copies each
// function's name and help with `wcsdup` and never frees them (its source says so): ten small blocks at exit.
const char *__lsan_default_suppressions(void) {
    return "leak:wcsdup\n";
}

_Thread_local void *clinux_thread_slots[CLINUX_THREAD_SLOTS];

void clinux_clear_thread_slots(const void *object) {
    for (unsigned index = 0; index < CLINUX_THREAD_SLOTS; index++) {
        if (clinux_thread_slots[index] == object) clinux_thread_slots[index] = NULL;
    }
}
