#include <zlib.h>

// inflateInit2 is a macro (it passes ZLIB_VERSION and the struct size); Swift cannot call it.
static inline int ferry_inflate_init_gzip(z_streamp stream) {
    // windowBits 15 + 16: accept gzip only, so a raw or zlib stream is an error, not a guess.
    return inflateInit2(stream, 15 + 16);
}
