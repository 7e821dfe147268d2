#ifndef VIGIL_CFFMPEG_SHIM_H
#define VIGIL_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

/// AVERROR(EAGAIN) and AVERROR_EOF are macros Swift cannot import.
static inline int vigil_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vigil_averror_eof(void) { return AVERROR_EOF; }
#endif
