#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and the struct size); Swift cannot call them.
static inline int ferry_deflate_init_gzip(z_streamp stream, int level) {
    // windowBits 15 + 16 asks zlib for a gzip header and trailer; memLevel 8 is zlib's default.
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

static inline int ferry_inflate_init_gzip(z_streamp stream) {
    // windowBits 15 + 16: accept gzip only, so a raw or zlib stream is an error, not a guess.
    return inflateInit2(stream, 15 + 16);
}
