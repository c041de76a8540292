/*
 * cc-wb-launch: what `cc-wb` runs, so that a compile does not start Node when a server is up.
 *
 * It hands the whole command (arguments, cwd, environment, which of fds 0-2 are terminals, umask)
 * to the drive server of this package (toolchain/driveserver.ts, inside the resident pass server)
 * over a Unix socket, writes the stdout and stderr bytes that come back to its own fds, and exits
 * with the command's status or dies by the command's signal. Whenever there is no such server, the
 * server says it cannot serve the command exactly, or anything looks wrong, it execs the Node
 * driver (toolchain/bin/cc-wb.js) with the original arguments instead: the launcher only ever
 * changes how fast a command runs, never what it does.
 *
 * Security (docs/security.md): the socket folder and the socket get the same checks as
 * toolchain/privatedir.ts before anything is sent: a real directory (lstat), owned by this user,
 * mode 0700, under ancestors no other user can rename; a socket owned by this user. Nothing named
 * by another user is ever run: the Node driver is the package's own file, found from
 * /proc/self/exe.
 *
 * The wire format is toolchain/drivewire.ts's. Build: cc -std=c11 -O2 -o cc-wb-launch cc-wb-launch.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

enum { PROTOCOL = 1, MAX_SLOTS = 8 };

/* How long an interrupted launcher waits for the server to stop the command's compilers. */
enum { INTERRUPT_WAIT_MS = 5000 };

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_FORWARDED (sizeof forwarded_signals / sizeof forwarded_signals[0])

static char package_root[PATH_MAX];

/* ---- falling back: the Node driver, with the arguments as given ---- */

static _Noreturn void run_node(char **argv) {
  int argc = 0;
  while (argv[argc] != NULL) argc++;
  char script[PATH_MAX + 32];
  snprintf(script, sizeof script, "%s/toolchain/bin/cc-wb.js", package_root);
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (args == NULL) {
    fputs("cc-wb: out of memory\n", stderr);
    exit(1);
  }
  args[0] = "node";
  args[1] = script;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args);
  fprintf(stderr, "cc-wb: cannot run node: %s\n", strerror(errno));
  exit(127);
}

/* The package root: four levels above this program's real path (toolchain/launcher/build/x). */
static int find_package_root(void) {
  if (realpath("/proc/self/exe", package_root) == NULL) return -1;
  for (int up = 0; up < 4; up++) {
    char *slash = strrchr(package_root, '/');
    if (slash == NULL || slash == package_root) return -1;
    *slash = '\0';
  }
  return 0;
}

/* ---- which folder, which socket (privatedir.ts and drivewire.ts say the same) ---- */

/* No other user can rename or replace entries along path: each ancestor is owned by root or by
 * us, and writable by others only if it is sticky (as /tmp is). */
static int ancestors_safe(const char *path, uid_t uid) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL) return 0;
  for (;;) {
    struct stat st;
    if (lstat(real, &st) != 0) return 0;
    if (st.st_uid != 0 && st.st_uid != uid) return 0;
    if ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0) return 0;
    if (strcmp(real, "/") == 0) return 1;
    char *slash = strrchr(real, '/');
    if (slash == real) slash[1] = '\0';
    else *slash = '\0';
  }
}

static void parent_of(const char *path, char *out, size_t size) {
  snprintf(out, size, "%s", path);
  char *slash = strrchr(out, '/');
  if (slash == NULL) snprintf(out, size, ".");
  else if (slash == out) out[1] = '\0';
  else *slash = '\0';
}

enum dir_state { DIR_PRIVATE, DIR_MISSING, DIR_UNUSABLE };

/* DIR_PRIVATE: a real directory of ours, mode 0700, safe ancestors. DIR_MISSING: the Node driver
 * would make it here (its parent is safe), so it is the folder, with no server in it yet. */
static enum dir_state check_dir(const char *dir, uid_t uid) {
  char parent[PATH_MAX];
  parent_of(dir, parent, sizeof parent);
  struct stat st;
  if (lstat(dir, &st) != 0) {
    if (errno == ENOENT && ancestors_safe(parent, uid)) return DIR_MISSING;
    return DIR_UNUSABLE;
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077) != 0) return DIR_UNUSABLE;
  return ancestors_safe(parent, uid) ? DIR_PRIVATE : DIR_UNUSABLE;
}

static const char *nonempty_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Drops trailing slashes, as Node's path.resolve does: "link/" would make lstat follow a symlink. */
static void strip_slashes(char *path) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
}

/* The sockets' folder: $CC_WB_SERVER_DIR alone when set, else $XDG_RUNTIME_DIR/cc-wb, else
 * $TMPDIR/ccwb-pass-servers-UID (TMPDIR as Node's os.tmpdir() reads it). 0 when found. */
static int server_dir(char *out, size_t size, uid_t uid) {
  const char *named = nonempty_env("CC_WB_SERVER_DIR");
  if (named != NULL) {
    snprintf(out, size, "%s", named);
    strip_slashes(out);
    return check_dir(out, uid) == DIR_PRIVATE ? 0 : -1;
  }
  const char *xdg = nonempty_env("XDG_RUNTIME_DIR");
  if (xdg != NULL) {
    snprintf(out, size, "%s/cc-wb", xdg);
    enum dir_state s = check_dir(out, uid);
    if (s != DIR_UNUSABLE) return s == DIR_PRIVATE ? 0 : -1;
  }
  const char *tmp = nonempty_env("TMPDIR");
  if (tmp == NULL) tmp = nonempty_env("TMP");
  if (tmp == NULL) tmp = nonempty_env("TEMP");
  if (tmp == NULL) tmp = "/tmp";
  size_t n = strlen(tmp);
  if (n > 1 && tmp[n - 1] == '/') n--;
  snprintf(out, size, "%.*s/ccwb-pass-servers-%u", (int)n, tmp, (unsigned)uid);
  return check_dir(out, uid) == DIR_PRIVATE ? 0 : -1;
}

/* The Node driver's slot count: $CC_WB_SERVER_SLOTS when a positive integer, else the CPUs this
 * process may run on (libuv's available parallelism), at most MAX_SLOTS. */
static long slot_count(void) {
  const char *v = getenv("CC_WB_SERVER_SLOTS");
  if (v != NULL) {
    char *end;
    double d = strtod(v, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n') end++;
    if (end != v && *end == '\0' && d >= 1 && d == (double)(long)d) return (long)d;
  }
  cpu_set_t set;
  long cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  if (cpus < 1) cpus = 1;
  return cpus < MAX_SLOTS ? cpus : MAX_SLOTS;
}

/* FNV-1a, 64 bits, of the package root: the id in the drive socket's name (drivewire.ts). */
static uint64_t package_id(void) {
  uint64_t h = 0xcbf29ce484222325u;
  for (const unsigned char *p = (const unsigned char *)package_root; *p != '\0'; p++) {
    h ^= *p;
    h *= 0x100000001b3u;
  }
  return h;
}

/* The slot to ask first: the first, from pid % n on, whose lock file this process can take. A
 * server runs the pass of one command at a time (one Node thread), so two commands of a make -j2
 * that land on one server wait for each other while another server idles. The lock is held until
 * the process exits (the descriptor is never closed; exec of the Node driver drops it); when every
 * slot is taken, pid % n. The lock files live in the private folder beside the sockets. */
static long pick_slot(const char *dir, unsigned long long id, long n) {
  long start = (long)getpid() % n;
  for (long i = 0; i < n; i++) {
    long slot = (start + i) % n;
    char path[PATH_MAX];
    int len = snprintf(path, sizeof path, "%s/drive-%016llx-%ld.lock", dir, id, slot);
    if (len < 0 || (size_t)len >= sizeof path) break;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) break;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return slot;
    close(fd);
  }
  return start;
}

/* A connected socket to this package's drive server, or -1: the picked slot's server, else any
 * other slot's that is up (a running server beats starting Node). When the picked slot is this
 * process's own (pid % n) and has no server, -1: the Node driver, run with this pid, starts that
 * slot's server, so that a make -j gets a server per slot rather than queueing on the first. */
static int connect_server(void) {
  uid_t uid = getuid();
  char dir[PATH_MAX];
  if (server_dir(dir, sizeof dir, uid) != 0) return -1;
  unsigned long long id = (unsigned long long)package_id();
  long n = slot_count();
  long first = pick_slot(dir, id, n);
  for (long i = 0; i < n; i++) {
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/drive-%016llx-%ld.sock", dir, id, (first + i) % n);
    if (len < 0 || (size_t)len >= sizeof addr.sun_path) return -1;
    struct stat st;
    if (lstat(addr.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != uid) {
      if (i == 0 && first == (long)getpid() % n) return -1;
      continue;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    close(fd);
  }
  return -1;
}

/* ---- the request ---- */

struct buffer {
  unsigned char *data;
  size_t len, cap;
};

static int put(struct buffer *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap != 0 ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *grown = realloc(b->data, cap);
    if (grown == NULL) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, n);
  b->len += n;
  return 0;
}

static int put_u32(struct buffer *b, uint32_t v) {
  unsigned char le[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
  return put(b, le, 4);
}

static int put_str(struct buffer *b, const char *s) {
  size_t n = strlen(s);
  return n > UINT32_MAX || put_u32(b, (uint32_t)n) != 0 ? -1 : put(b, s, n);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int build_request(struct buffer *req, char **argv) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) return -1;
  mode_t mask = umask(0);
  umask(mask);
  struct buffer body = { 0 };
  uint32_t flags = (isatty(0) ? 1u : 0u) | (isatty(1) ? 2u : 0u) | (isatty(2) ? 4u : 0u);
  int bad = put_u32(&body, flags) | put_u32(&body, (uint32_t)mask) | put_str(&body, cwd);
  uint32_t argc = 0, envc = 0;
  while (argv[argc + 1] != NULL) argc++;
  bad |= put_u32(&body, argc);
  for (uint32_t i = 1; i <= argc; i++) bad |= put_str(&body, argv[i]);
  while (environ[envc] != NULL) envc++;
  bad |= put_u32(&body, envc);
  for (uint32_t i = 0; i < envc; i++) bad |= put_str(&body, environ[i]);
  if (!bad && body.len <= UINT32_MAX) {
    bad = put(req, "CCWB", 4) | put_u32(req, PROTOCOL) | put_u32(req, (uint32_t)body.len) | put(req, body.data, body.len);
  } else {
    bad = -1;
  }
  free(body.data);
  return bad ? -1 : 0;
}

/* To the socket with MSG_NOSIGNAL (a server that died is a fallback, not a SIGPIPE); to fds 1
 * and 2 with write (a closed stdout ends cc-wb by SIGPIPE, as it ends the compiler writing to it). */
static int write_all(int fd, const void *data, size_t n, int is_socket) {
  const char *p = data;
  while (n > 0) {
    ssize_t w = is_socket ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- signals: an interrupted launcher has the server stop the command, then dies the same way ---- */

static volatile sig_atomic_t caught_signal;
static struct sigaction saved_actions[N_FORWARDED];
static sigset_t saved_mask;

static void on_signal(int sig) {
  if (caught_signal == 0) caught_signal = sig;
}

/* Blocks the forwarded signals (ppoll lets them in) and catches those not ignored. */
static void catch_signals(void) {
  sigset_t block;
  sigemptyset(&block);
  for (size_t i = 0; i < N_FORWARDED; i++) sigaddset(&block, forwarded_signals[i]);
  sigprocmask(SIG_BLOCK, &block, &saved_mask);
  for (size_t i = 0; i < N_FORWARDED; i++) {
    sigaction(forwarded_signals[i], NULL, &saved_actions[i]);
    if (saved_actions[i].sa_handler == SIG_IGN) continue;
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(forwarded_signals[i], &sa, NULL);
  }
}

/* Back to the dispositions and mask the launcher was started with (before exec). */
static void restore_signals(void) {
  for (size_t i = 0; i < N_FORWARDED; i++) sigaction(forwarded_signals[i], &saved_actions[i], NULL);
  sigprocmask(SIG_SETMASK, &saved_mask, NULL);
}

static _Noreturn void die_by_signal(int sig) {
  fflush(NULL);
  signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, NULL);
  raise(sig);
  exit(128 + sig); /* a signal that cannot end us (ignored by the parent's choice) still ends cc-wb */
}

/* ---- the conversation ---- */

enum outcome { FALL_BACK, EXITED, SIGNALLED };

/* Reads frames until the end of the reply. Returns FALL_BACK when the server declined (or went
 * away before saying anything); *value is the status or the signal. */
static enum outcome converse(int fd, uint32_t *value) {
  struct buffer in = { 0 };
  int output_seen = 0; /* once output went to the user, falling back would repeat it */
  int forwarded = 0;
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  for (;;) {
    if (caught_signal != 0 && !forwarded) {
      struct buffer k = { 0 };
      int bad = put(&k, "k", 1) | put_u32(&k, 4) | put_u32(&k, (uint32_t)caught_signal);
      if (bad || write_all(fd, k.data, k.len, 1) != 0) die_by_signal(caught_signal);
      free(k.data);
      forwarded = 1;
    }
    struct timespec wait = { INTERRUPT_WAIT_MS / 1000, 0 };
    sigset_t open_mask = saved_mask;
    for (size_t i = 0; i < N_FORWARDED; i++) sigdelset(&open_mask, forwarded_signals[i]);
    int r = ppoll(&pfd, 1, forwarded ? &wait : NULL, &open_mask);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) die_by_signal(caught_signal); /* the server did not answer in time */
    unsigned char chunk[65536];
    ssize_t got = read(fd, chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (got == 0) break;
    if (put(&in, chunk, (size_t)got) != 0) break;
    size_t at = 0;
    while (in.len - at >= 5) {
      uint32_t n = get_u32(in.data + at + 1);
      if (in.len - at - 5 < n) break;
      unsigned char kind = in.data[at];
      const unsigned char *payload = in.data + at + 5;
      at += 5 + (size_t)n;
      if (kind == 'o' || kind == 'e') {
        output_seen = 1;
        /* An interrupted command's late output is not shown: it would be after the signal. */
        if (!forwarded) write_all(kind == 'o' ? 1 : 2, payload, n, 0);
      } else if ((kind == 'x' || kind == 's') && n == 4) {
        *value = get_u32(payload);
        free(in.data);
        if (forwarded) die_by_signal(caught_signal);
        return kind == 'x' ? EXITED : SIGNALLED;
      } else if (kind == 'f' && !output_seen) {
        free(in.data);
        if (forwarded) die_by_signal(caught_signal);
        return FALL_BACK;
      } else {
        goto broken;
      }
    }
    memmove(in.data, in.data + at, in.len - at);
    in.len -= at;
  }
broken:
  free(in.data);
  if (forwarded) die_by_signal(caught_signal);
  if (!output_seen) return FALL_BACK;
  /* The server died mid-command after output: running it again would repeat that output. */
  fputs("cc-wb: error: the cc-wb server went away during the compile\n", stderr);
  *value = 1;
  return EXITED;
}

int main(int argc, char **argv) {
  (void)argc;
  if (find_package_root() != 0) {
    fputs("cc-wb: cannot find the cc-wb package from /proc/self/exe\n", stderr);
    return 1;
  }
  if (nonempty_env("CC_WB_PASS_MODULE") != NULL) run_node(argv);
  const char *server = getenv("CC_WB_SERVER");
  if (server != NULL && strcmp(server, "0") == 0) run_node(argv);
  int fd = connect_server();
  if (fd < 0) run_node(argv);
  struct buffer req = { 0 };
  if (build_request(&req, argv) != 0) {
    close(fd);
    run_node(argv);
  }
  catch_signals();
  if (write_all(fd, req.data, req.len, 1) != 0) {
    close(fd);
    restore_signals();
    run_node(argv);
  }
  free(req.data);
  uint32_t value = 0;
  enum outcome how = converse(fd, &value);
  close(fd);
  restore_signals();
  if (how == FALL_BACK) run_node(argv);
  if (how == SIGNALLED) die_by_signal((int)value);
  return (int)(value & 0xff);
}
