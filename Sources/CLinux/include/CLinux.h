#ifndef CLINUX_H
#define CLINUX_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC, which Glibc's Swift module does not import.
int clinux_accept_nonblocking(int listener, struct sockaddr *address, socklen_t *length);
/// recv(2) with no flags, sendmsg(2) and epoll_wait(2), without glibc's cancellation-point wrappers (see shim.c).
ssize_t clinux_recv(int fd, void *buffer, size_t count);
ssize_t clinux_sendmsg(int fd, const struct msghdr *message, int flags);
int clinux_epoll_wait(int epoll, struct epoll_event *events, int capacity, int timeout);

/// pthread_setname_np(3) for the calling thread (names show in top -H and gdb).
void clinux_set_thread_name(const char *name);

/// CPUs this process may run on (its affinity mask, so `taskset` and container limits count), or 0 on error.
int clinux_usable_cpus(void);

/// Tell ThreadSanitizer (when the process runs under it; no-ops otherwise) that ownership of `object` passes
/// from the thread that registers or parks a socket in epoll to the thread that epoll wakes for it: a hand-off
/// through the kernel that TSan cannot see by itself.
///
/// These and the atomics below are defined here, inline: Swift then inlines them where they are used (a few
/// times per request) instead of calling into a function of their own.
// Defined by the ThreadSanitizer runtime; null when it is not linked in.
void __tsan_acquire(void *address) __attribute__((weak));
void __tsan_release(void *address) __attribute__((weak));

static inline void clinux_handoff_release(void *object) {
    if (__tsan_release) __tsan_release(object);
}

static inline void clinux_handoff_acquire(void *object) {
    if (__tsan_acquire) __tsan_acquire(object);
}

/// Atomic operations on a 64-bit word in memory Swift allocated itself (Synchronization's `Atomic` lives inside
/// one value, and the engine's connection slots are a table of words): load with acquire, store with release,
/// compare-and-exchange with acquire-release ordering (C11). The exchange returns 1 when it happened.
static inline unsigned long long clinux_atomic_load(const unsigned long long *word) {
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

static inline void clinux_atomic_store(unsigned long long *word, unsigned long long value) {
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}

static inline int clinux_atomic_compare_exchange(unsigned long long *word, unsigned long long expected,
                                                 unsigned long long desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/// The user id of the process at the other end of a Unix-domain socket (SO_PEERCRED, which needs _GNU_SOURCE),
/// or -1 when it cannot be read.
long clinux_peer_uid(int fd);

/// syncfs(2): write out everything pending on the file system holding `fd` (needs _GNU_SOURCE, which Glibc's
/// Swift module does not define). 0, or -1 with errno.
int clinux_syncfs(int fd);

/// Steers every new connection of the SO_REUSEPORT group `fd` belongs to, to the group's socket number `index`
/// (a classic BPF program returning that index; SO_ATTACH_REUSEPORT_CBPF needs no privilege). An index beyond the
/// group's size falls back to the kernel's hash. Returns 0, or -1 with errno set.
int clinux_reuseport_steer(int fd, unsigned index);

/// Removes a steering program from the group `fd` belongs to, so the kernel hashes connections over all its
/// sockets again. Returns 0, or -1 with errno set (ENOENT: there was none).
int clinux_reuseport_unsteer(int fd);

/// Writes one byte to `fd` whenever the terminal's window changes size (SIGWINCH), so a thread polling the read
/// end of a pipe wakes for it; the handler does nothing else (a write is async-signal-safe). The calling thread
/// unblocks SIGWINCH, so the signal reaches it even when the process inherited it blocked. A negative `fd`
/// restores the default action. Returns 0, or -1.
int clinux_notify_on_resize(int fd);

/// Slots of the calling thread for `ThreadLocal`'s first keys: read with one load from the thread's own storage,
/// inlined into Swift, where `pthread_getspecific` is a call (the server reads a few per request). A slot only
/// mirrors what its `pthread` key holds; the key's destructor gives the object back when the thread exits.
#define CLINUX_THREAD_SLOTS 32
extern _Thread_local void *clinux_thread_slots[CLINUX_THREAD_SLOTS];

static inline void *clinux_thread_slot(unsigned index) {
    return clinux_thread_slots[index];
}

static inline void clinux_set_thread_slot(unsigned index, void *object) {
    clinux_thread_slots[index] = object;
}

/// Empties every slot of the calling thread that holds `object` (as its key's destructor gives it back).
void clinux_clear_thread_slots(const void *object);

#endif
