#ifndef CEDITLINE_H
#define CEDITLINE_H

#include <histedit.h>
#include <stdio.h>
#include <wchar.h>

// glibc declares wcwidth only under _XOPEN_SOURCE, which a module header cannot set: declare it here.
extern int wcwidth(wchar_t c);

// libedit's el_set, el_get and history are variadic, which Swift cannot call.
// One fixed-arity wrapper per use keeps the C boundary thin and typed.

typedef char *(*ceditline_prompt_fn)(EditLine *);
typedef unsigned char (*ceditline_command_fn)(EditLine *, int);
typedef int (*ceditline_getc_fn)(EditLine *, wchar_t *);

static inline int ceditline_set_prompt(EditLine *el, ceditline_prompt_fn fn) {
    return el_set(el, EL_PROMPT, fn);
}
static inline int ceditline_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}
static inline int ceditline_set_history(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}
static inline int ceditline_add_function(EditLine *el, const char *name, const char *help, ceditline_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int ceditline_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, NULL);
}
static inline int ceditline_settty(EditLine *el, const char *a, const char *b) {
    return el_set(el, EL_SETTY, a, b, NULL);
}
static inline int ceditline_set_clientdata(EditLine *el, void *data) {
    return el_set(el, EL_CLIENTDATA, data);
}
static inline void *ceditline_get_clientdata(EditLine *el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}
static inline int ceditline_set_getcfn(EditLine *el, ceditline_getc_fn fn) {
    return el_wset(el, EL_GETCFN, fn);
}
static inline int ceditline_refresh(EditLine *el) {
    return el_set(el, EL_REFRESH);
}
static inline int ceditline_columns(EditLine *el) {
    int columns = 0;
    if (el_get(el, EL_GETTC, "co", &columns, NULL) != 0 || columns <= 0) return 80;
    return columns;
}
static inline int ceditline_display_width(wchar_t c) {
    return wcwidth(c);
}
static inline int ceditline_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int ceditline_history_setunique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int ceditline_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
static inline int ceditline_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int ceditline_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

#endif
