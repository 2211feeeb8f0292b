/*
 * httpd.c - a small real HTTP/1.1 server for the tests of `grregress
 * post` (tests/cli/post.sh); built by `make check`, never installed.
 *
 *   httpd --port-file FILE --log-dir DIR [--script LIST] [--idle SECONDS]
 *
 * It listens on 127.0.0.1 on an ephemeral port, writes the port to FILE
 * (atomically: readers never see half of it) and answers POSTs (any
 * method, in fact) one connection at a time.  Request N (from 1) is logged
 * as DIR/N.head (request line and headers, one per line, CR removed) and
 * DIR/N.body (the body, byte for byte) before the answer is sent, so a
 * client that got its answer finds its request logged.
 *
 * LIST scripts the answers, one item per request, in order; after the
 * last item every answer is 200.  An item is CODE, optionally followed by
 * "+ra=N" (send "Retry-After: N"), "+delay=MS" (answer after MS
 * milliseconds, from a child process so the server keeps accepting: a
 * client that timed out and retried is answered by the next item) and,
 * last, "+body=PATH" (answer with the bytes of file PATH, read at start,
 * instead of "{}"; PATH runs to the next ',').  Example:
 * "503,429+ra=0,200+body=comments.json".  Every answer is
 * application/json with its Content-Length and closes the connection.
 *
 * Bytes that are not an HTTP request line (a TLS ClientHello, say) get
 * "400 Bad Request" at once and are not logged.  The server exits on
 * SIGTERM/SIGINT, or after --idle seconds without a connection (default
 * 60), so a test that dies leaves no server behind for long.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 65536
#define MAX_BODY (64L << 20)
#define MAX_ITEMS 64

struct item {
    int code;            /* HTTP status */
    long retry_after;    /* -1: no Retry-After header */
    long delay_ms;       /* answer after this long */
    char *body;          /* the answer's body (malloc'ed), or NULL: "{}\n" */
    size_t body_len;     /* its length */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* Read the file named by s[0..n) into it->body; exits on failure. */
static void load_body(const char *s, size_t n, struct item *it)
{
    char path[4096];
    FILE *fp;
    long len;
    if (n == 0 || n >= sizeof path) {
        fprintf(stderr, "httpd: --script: bad body path at '%s'\n", s);
        exit(2);
    }
    memcpy(path, s, n);
    path[n] = '\0';
    fp = fopen(path, "rb");
    if (!fp || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || len > MAX_BODY
        || fseek(fp, 0, SEEK_SET) != 0) {
        die(path);
    }
    it->body = malloc((size_t)len + 1);
    if (!it->body) {
        die("malloc");
    }
    if (fread(it->body, 1, (size_t)len, fp) != (size_t)len) {
        die(path);
    }
    fclose(fp);
    it->body_len = (size_t)len;
}

static int parse_script(const char *s, struct item *items)
{
    int n = 0;
    while (*s) {
        char *end;
        struct item it = {0, -1, 0, NULL, 0};
        if (n == MAX_ITEMS) {
            fprintf(stderr, "httpd: --script: more than %d items\n", MAX_ITEMS);
            exit(2);
        }
        it.code = (int)strtol(s, &end, 10);
        if (end == s || it.code < 100 || it.code > 599) {
            fprintf(stderr, "httpd: --script: bad item at '%s'\n", s);
            exit(2);
        }
        s = end;
        while (*s == '+') {
            if (strncmp(s, "+ra=", 4) == 0) {
                it.retry_after = strtol(s + 4, &end, 10);
            } else if (strncmp(s, "+delay=", 7) == 0) {
                it.delay_ms = strtol(s + 7, &end, 10);
            } else if (strncmp(s, "+body=", 6) == 0) {
                size_t plen = strcspn(s + 6, ",");
                load_body(s + 6, plen, &it);
                end = (char *)s + 6 + plen;
            } else {
                fprintf(stderr, "httpd: --script: bad option at '%s'\n", s);
                exit(2);
            }
            s = end;
        }
        if (*s == ',') {
            s++;
        } else if (*s) {
            fprintf(stderr, "httpd: --script: expected ',' at '%s'\n", s);
            exit(2);
        }
        items[n++] = it;
    }
    return n;
}

static const char *reason(int code)
{
    switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) {
                continue;
            }
            return; /* the client went away (timed out): nothing to do */
        }
        p += w;
        n -= (size_t)w;
    }
}

static void answer(int fd, const struct item *it)
{
    char head[256];
    const char *body = it->code == 204 ? "" : it->body ? it->body : "{}\n";
    size_t len = it->code == 204 ? 0 : it->body ? it->body_len : strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n",
                     it->code, reason(it->code), len);
    if (it->retry_after >= 0) {
        n += snprintf(head + n, sizeof head - (size_t)n, "Retry-After: %ld\r\n",
                      it->retry_after);
    }
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
}

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, n, fp) != n || fclose(fp) != 0) {
        die(path);
    }
}

/* Read one request; returns its total length (head + body) in buf, the
 * head's length in *head_len, or -1 (not HTTP / closed / too big). */
static long read_request(int fd, char **buf, size_t *head_len)
{
    size_t cap = MAX_HEAD, len = 0;
    char *b = malloc(cap + 1), *end = NULL;
    long body = 0;
    if (!b) {
        die("malloc");
    }
    *buf = b;
    while (!end) {
        ssize_t r;
        if (len == MAX_HEAD) {
            return -1;
        }
        r = recv(fd, b + len, MAX_HEAD - len, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        len += (size_t)r;
        b[len] = '\0';
        /* an HTTP request starts with an upper-case method token */
        if (!isupper((unsigned char)b[0])) {
            return -1;
        }
        end = strstr(b, "\r\n\r\n");
    }
    *head_len = (size_t)(end - b) + 4;
    {
        const char *p = b;
        while ((p = strchr(p, '\n')) != NULL && p < end) {
            p++;
            if (strncasecmp(p, "Content-Length:", 15) == 0) {
                body = strtol(p + 15, NULL, 10);
            }
        }
    }
    if (body < 0 || body > MAX_BODY) {
        return -1;
    }
    if (*head_len + (size_t)body > cap) {
        cap = *head_len + (size_t)body;
        b = realloc(b, cap + 1);
        if (!b) {
            die("realloc");
        }
        *buf = b;
    }
    while (len < *head_len + (size_t)body) {
        ssize_t r = recv(fd, b + len, *head_len + (size_t)body - len, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        len += (size_t)r;
    }
    return (long)(*head_len + (size_t)body);
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *log_dir = NULL, *script = "";
    struct item items[MAX_ITEMS];
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    struct sigaction act;
    int nitems, lfd, i, reqno = 0, one = 1;
    long idle = 60;
    char path[4096], tmp[4200];
    FILE *fp;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strcmp(argv[i], "--log-dir") == 0 && i + 1 < argc) {
            log_dir = argv[++i];
        } else if (strcmp(argv[i], "--script") == 0 && i + 1 < argc) {
            script = argv[++i];
        } else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc) {
            idle = strtol(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: httpd --port-file FILE --log-dir DIR [--script LIST] "
                            "[--idle SECONDS]\n");
            return 2;
        }
    }
    if (!port_file || !log_dir) {
        fprintf(stderr, "httpd: --port-file and --log-dir are required\n");
        return 2;
    }
    nitems = parse_script(script, items);

    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    act.sa_handler = SIG_IGN;
    act.sa_flags = SA_NOCLDWAIT;   /* delayed answers' children reap themselves */
    sigaction(SIGCHLD, &act, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) {
        die("socket");
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0
        || getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
        die("bind/listen");
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    fp = fopen(tmp, "w");
    if (!fp || fprintf(fp, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(fp) != 0
        || rename(tmp, port_file) < 0) {
        die(port_file);
    }

    while (!stop) {
        struct pollfd pfd = {lfd, POLLIN, 0};
        struct timeval tv = {5, 0};
        struct item it = {200, -1, 0, NULL, 0};
        size_t head_len = 0;
        char *buf = NULL, *p, *q;
        long total;
        int cfd, pr = poll(&pfd, 1, (int)(idle * 1000));
        if (pr < 0 && errno == EINTR) {
            continue;
        }
        if (pr <= 0) {
            break; /* idle too long (or poll failed): leave */
        }
        cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            continue;
        }
        setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        total = read_request(cfd, &buf, &head_len);
        if (total < 0) {
            struct item bad = {400, -1, 0, NULL, 0};
            answer(cfd, &bad);
            close(cfd);
            free(buf);
            continue;
        }
        reqno++;
        /* the head without its final blank line and without CRs */
        buf[head_len - 2] = '\0';
        for (p = q = buf; *p; p++) {
            if (*p != '\r') {
                *q++ = *p;
            }
        }
        *q = '\0';
        snprintf(path, sizeof path, "%s/%d.head", log_dir, reqno);
        write_file(path, buf, strlen(buf));
        snprintf(path, sizeof path, "%s/%d.body", log_dir, reqno);
        write_file(path, buf + head_len, (size_t)total - head_len);
        free(buf);
        if (reqno <= nitems) {
            it = items[reqno - 1];
        }
        if (it.delay_ms > 0) {
            pid_t pid = fork();
            if (pid == 0) {
                struct timespec ts = {it.delay_ms / 1000, (it.delay_ms % 1000) * 1000000L};
                close(lfd);
                nanosleep(&ts, NULL);
                answer(cfd, &it);
                close(cfd);
                _exit(0);
            }
            close(cfd);
            continue;
        }
        answer(cfd, &it);
        close(cfd);
    }
    close(lfd);
    unlink(port_file);
    for (i = 0; i < nitems; i++) {
        free(items[i].body);
    }
    return 0;
}
