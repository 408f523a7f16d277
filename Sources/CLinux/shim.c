#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include "CLinux.h"

int clinux_accept_nonblocking(int listener, struct sockaddr *address, socklen_t *length) {
    return accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void clinux_set_thread_name(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

int clinux_gettid(void) {
    return gettid();
}
