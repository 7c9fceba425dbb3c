/* Files in and out: base64 both ways, the path rules, MIME types, the
 * gatherer on a real directory (links, FIFOs, sockets, caps, order) and the
 * front's reading of its frames, broken ones included. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/base64.h"
#include "jobs/files.h"
#include "sandbox/gather.h"
#include "tap.h"

static void test_base64(void)
{
        const char *cases[][2] = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
                                   { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char enc[32] = "";
                unsigned char dec[32];
                size_t n = strlen(cases[i][0]);
                base64_encode((const unsigned char *) cases[i][0], n, enc);
                enc[base64_encoded_len(n)] = 0;
                is_str(enc, cases[i][1], "base64 of \"%s\" (RFC 4648 vector)", cases[i][0]);
                ssize_t k = base64_decode(cases[i][1], strlen(cases[i][1]), dec);
                ok(k == (ssize_t) n && memcmp(dec, cases[i][0], n) == 0, "decode %s", cases[i][1]);
        }
        unsigned char out[16];
        ok(base64_decode("Zm9vYg", 6, out) == 4, "padding may be left out");
        const char *bad[] = { "Zm9vY", "Zm9v\n", "Zm 9v", "Zm9v=", "Z===", "Zm=v", "Zh==", "Zm9=", "_-__" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ok(base64_decode(bad[i], strlen(bad[i]), out) < 0, "not base64: case %zu", i);
        unsigned char all[256];
        char enc[400];
        unsigned char back[300];
        for (int i = 0; i < 256; i++)
                all[i] = (unsigned char) i;
        base64_encode(all, 256, enc);
        ok(base64_decode(enc, base64_encoded_len(256), back) == 256 && memcmp(all, back, 256) == 0,
           "every byte value round-trips");
}

static void test_paths(void)
{
        const char *good[] = { "a", "data/in.csv", ".hidden", "a..b", "...", "été/ça.txt", "a b" };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                ok(files_path_problem(good[i], strlen(good[i])) == NULL, "allowed: \"%s\"", good[i]);
        const char *bad[] = { "", "/a", "../a", "a/..", "a/./b", ".", "a//b", "a/", "a\\b", "a\tb", "\x7f",
                              "\xff" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ok(files_path_problem(bad[i], strlen(bad[i])) != NULL, "refused: case %zu", i);
        ok(files_path_problem("a\0b", 3) != NULL, "refused: a NUL inside");
        char name[300], path[1100];
        memset(name, 'n', 255), name[255] = 0;
        ok(files_path_problem(name, 255) == NULL, "a component of 255 bytes");
        memset(name, 'n', 256), name[256] = 0;
        ok(files_path_problem(name, 256) != NULL, "a component of 256 bytes");
        for (size_t i = 0; i < 1024; i++)
                path[i] = i % 2 ? '/' : 'd';
        path[1023] = 'd';
        ok(files_path_problem(path, 1023) == NULL, "1023 bytes in all");
        ok(files_path_problem(path, 1025) != NULL, "1025 bytes in all");
}

static void test_mime(void)
{
        const unsigned char png[] = "\x89PNG\r\n\x1a\n....";
        ok(strcmp(files_mime("output/a.png", 12, png, 12), "image/png") == 0, "png by name and bytes");
        ok(strcmp(files_mime("output/a", 8, png, 12), "image/png") == 0, "png by bytes alone");
        ok(strcmp(files_mime("output/a.png", 12, (const unsigned char *) "<html>", 6), "application/octet-stream") ==
                   0, "a .png that is not one is not called a picture");
        ok(strcmp(files_mime("output/a.jpg", 12, png, 12), "image/png") == 0, "the bytes say which picture");
        ok(strcmp(files_mime("output/r.CSV", 12, (const unsigned char *) "a,b", 3), "text/csv") == 0, "csv");
        ok(strcmp(files_mime("output/x.d/y", 12, (const unsigned char *) "", 0), "application/octet-stream") == 0,
           "a dot in a directory's name is no extension");
}

/* A scratch tree: output/ with one of everything. */
static char root[64];

static void make_tree(void)
{
        strcpy(root, "/tmp/test-files-XXXXXX");
        if (!mkdtemp(root))
                abort();
        char p[256];
#define P(s) (snprintf(p, sizeof(p), "%s/%s", root, s), p)
        mkdir(P("output"), 0755);
        mkdir(P("output/sub"), 0755);
        int fd = open(P("output/b.txt"), O_CREAT | O_WRONLY, 0644);
        (void) !write(fd, "bee", 3);
        close(fd);
        fd = open(P("output/sub/a.bin"), O_CREAT | O_WRONLY, 0644);
        (void) !write(fd, "\0\1\2\3", 4);
        close(fd);
        fd = open(P("output/big"), O_CREAT | O_WRONLY, 0644);
        (void) !ftruncate(fd, 1 << 30);   /* sparse */
        close(fd);
        (void) !symlink("/etc/passwd", P("output/link"));
        (void) !symlink("/", P("output/sub/root"));
        mkfifo(P("output/fifo"), 0644);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", P("output/sock"));
        (void) !bind(s, (struct sockaddr *) &sa, sizeof(sa));
        close(s);
#undef P
}

/* Gather into a pipe and read back what the front would. */
static void gather(const char *name, uint32_t max_files, uint64_t max_bytes, struct sb_buf *b,
                   struct sb_gather_stats *st)
{
        int dir = open(root, O_RDONLY | O_DIRECTORY);
        char tmpl[] = "/tmp/test-files-out-XXXXXX";
        int out = mkstemp(tmpl);
        unlink(tmpl);
        struct sb_gather_limits lim = { .max_files = max_files, .max_bytes = max_bytes };
        sb_gather_output(dir, name, out, &lim, st);
        close(dir);
        off_t n = lseek(out, 0, SEEK_END);
        memset(b, 0, sizeof(*b));
        b->data = malloc((size_t) n + 1);
        b->len = (size_t) pread(out, b->data, (size_t) n, 0);
        b->eof = true;
        close(out);
}

/* The response's tail as a JSON object. */
static struct json_object *respond(const struct sb_buf *b)
{
        struct http_response r;
        response_init(&r);
        files_out_respond(b, &r);
        char *text = malloc(r.tail_len + 2);
        text[0] = '{';
        memcpy(text + 1, r.tail + 1, r.tail_len - 1);
        memcpy(text + r.tail_len, "}", 2);
        struct json_object *o = json_tokener_parse(text);
        free(text);
        response_free(&r);
        return o;
}

static const char *path_at(struct json_object *o, size_t i)
{
        struct json_object *files = json_object_object_get(o, "files");
        return i < json_object_array_length(files)
                       ? json_object_get_string(json_object_object_get(json_object_array_get_idx(files, i), "path"))
                       : "";
}

static bool truncated(struct json_object *o)
{
        return json_object_get_boolean(json_object_object_get(o, "files_truncated"));
}

static void test_gather(void)
{
        struct sb_buf b;
        struct sb_gather_stats st;
        make_tree();
        gather("output", 32, 1 << 20, &b, &st);
        struct json_object *o = respond(&b);
        ok(st.files == 2 && json_object_array_length(json_object_object_get(o, "files")) == 2,
           "two regular files come back: no link, FIFO or socket (%u)", st.files);
        is_str(path_at(o, 0), "output/b.txt", "sorted by path");
        is_str(path_at(o, 1), "output/sub/a.bin", "sorted by path, into directories");
        ok(truncated(o), "the sparse GiB file did not fit: flagged, never read");
        json_object_put(o);
        free(b.data);

        gather("output", 1, 1 << 20, &b, &st);
        o = respond(&b);
        ok(st.files == 1 && truncated(o), "max_files: one, and flagged");
        json_object_put(o);

        /* frames broken on the way: cut short, bad magic, a path outside output/ */
        size_t whole = b.len;
        b.len = whole - 4;
        o = respond(&b);
        ok(truncated(o) && json_object_array_length(json_object_object_get(o, "files")) == 1,
           "a stream without its end frame keeps what was whole, flagged");
        json_object_put(o);
        b.len = whole;
        memcpy(b.data + sizeof(struct sb_file_frame), "outpux/", 7);
        o = respond(&b);
        ok(json_object_array_length(json_object_object_get(o, "files")) == 0 && truncated(o),
           "a path outside output/ ends the stream");
        json_object_put(o);
        b.data[0] ^= 1;
        o = respond(&b);
        ok(json_object_array_length(json_object_object_get(o, "files")) == 0 && truncated(o), "bad magic");
        json_object_put(o);
        free(b.data);

        gather("nothing-here", 32, 1 << 20, &b, &st);
        o = respond(&b);
        ok(json_object_array_length(json_object_object_get(o, "files")) == 0 && !truncated(o),
           "no output/: an empty list, not truncated");
        json_object_put(o);
        free(b.data);

        char p[128];
        snprintf(p, sizeof(p), "%s/linked", root);
        (void) !symlink("output", p);
        gather("linked", 32, 1 << 20, &b, &st);
        ok(st.files == 0, "output/ itself a link: not followed");
        free(b.data);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
        (void) !system(cmd);
}

int main(void)
{
        test_base64();
        test_paths();
        test_mime();
        test_gather();
        return tap_done();
}
