/*
 * gzip-writers: the gzip schemes ocislim could write layers with, on one core, over one tar file.
 *
 *   cc -O2 bench/gzip-writers.c -o .cache/bench/gzip-writers -ldeflate -lisal -lz
 *   .cache/bench/gzip-writers LAYER.tar [REFERENCE_SIZE]
 *
 * Prints, per scheme, the compressed size (and its ratio to REFERENCE_SIZE, e.g. `pigz -6 < LAYER.tar | wc -c`)
 * and the single-core speed. Every scheme cuts the input into independent blocks, so all of them scale the same
 * way across cores; per-core speed and size decide between them. Used to choose GzipMemberCompressor's scheme
 * (BENCHMARKS.md, "gzip writers").
 */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

struct input {
    unsigned char *bytes;
    size_t size;
};

/* pigz's scheme: 128 KiB zlib blocks, each primed with the previous 32 KiB, sync-flushed into one member. */
static size_t zlib_primed_blocks(struct input in, int level, unsigned char *out, size_t room) {
    const size_t block = 128 << 10, window = 32 << 10;
    size_t total = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    for (size_t off = 0; off < in.size; off += block) {
        size_t len = in.size - off < block ? in.size - off : block;
        deflateReset(&z);
        if (off) deflateSetDictionary(&z, in.bytes + off - window, window);
        z.next_in = in.bytes + off;
        z.avail_in = len;
        z.next_out = out;
        z.avail_out = room;
        deflate(&z, off + len >= in.size ? Z_FINISH : Z_SYNC_FLUSH);
        total += room - z.avail_out;
    }
    deflateEnd(&z);
    return total + 18; /* gzip header and trailer */
}

/* libdeflate: each block a complete gzip member. */
static size_t libdeflate_members(struct input in, size_t block, int level, unsigned char *out, size_t room) {
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    size_t total = 0;
    for (size_t off = 0; off < in.size; off += block) {
        size_t len = in.size - off < block ? in.size - off : block;
        total += libdeflate_gzip_compress(c, in.bytes + off, len, out, room);
    }
    libdeflate_free_compressor(c);
    return total;
}

/* ISA-L igzip: each block a complete gzip member (igzip's own multithreading works the same way). */
static size_t isal_members(struct input in, size_t block, int level, unsigned char *out, size_t room) {
    static const size_t level_buffer[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                          ISAL_DEF_LVL3_DEFAULT};
    unsigned char *buffer = malloc(level_buffer[level]);
    struct isal_zstream s;
    size_t total = 0;
    for (size_t off = 0; off < in.size; off += block) {
        size_t len = in.size - off < block ? in.size - off : block;
        isal_deflate_init(&s);
        s.level = level;
        s.level_buf = buffer;
        s.level_buf_size = level_buffer[level];
        s.gzip_flag = IGZIP_GZIP;
        s.end_of_stream = 1;
        s.flush = NO_FLUSH;
        s.next_in = in.bytes + off;
        s.avail_in = len;
        s.next_out = out;
        s.avail_out = room;
        if (isal_deflate(&s) != COMP_OK) { fprintf(stderr, "isal_deflate failed\n"); exit(1); }
        total += s.total_out;
    }
    free(buffer);
    return total;
}

static void report(const char *scheme, size_t size, double seconds, struct input in, double reference) {
    printf("%-34s %12zu", scheme, size);
    if (reference > 0) printf("  %6.3fx", size / reference);
    printf("  %7.1f MB/s\n", in.size / seconds / 1e6);
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s LAYER.tar [REFERENCE_SIZE]\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    struct input in = {.size = (size_t)ftell(f)};
    fseek(f, 0, SEEK_SET);
    in.bytes = malloc(in.size);
    if (fread(in.bytes, 1, in.size, f) != in.size) { perror(argv[1]); return 1; }
    fclose(f);
    double reference = argc > 2 ? atof(argv[2]) : 0;
    size_t room = (4 << 20) + (1 << 16);
    unsigned char *out = malloc(room);
    printf("%-34s %12s  %7s  %s\n", "scheme (one core)", "bytes", "ratio", "speed");

    char name[64];
    double t = now();
    size_t size = zlib_primed_blocks(in, 6, out, room);
    report("zlib 6, 128 KiB primed (pigz)", size, now() - t, in, reference);
    for (int level = 4; level <= 9; level++) {
        t = now();
        size = libdeflate_members(in, 1 << 20, level, out, room);
        snprintf(name, sizeof name, "libdeflate %d, 1 MiB members", level);
        report(name, size, now() - t, in, reference);
    }
    t = now();
    size = libdeflate_members(in, 128 << 10, 6, out, room);
    report("libdeflate 6, 128 KiB members", size, now() - t, in, reference);
    for (int level = 1; level <= 3; level++) {
        t = now();
        size = isal_members(in, 1 << 20, level, out, room);
        snprintf(name, sizeof name, "ISA-L igzip %d, 1 MiB members", level);
        report(name, size, now() - t, in, reference);
    }
    free(out);
    free(in.bytes);
    return 0;
}
