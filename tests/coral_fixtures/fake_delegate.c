/* Stand-ins for libedgetpu built with gcc by tests/test_coral_probe.py: the external
 * delegate entry points TFLite's load_delegate() calls (tensorflow/lite/delegates/
 * external/external_delegate_interface.h). One -D chooses what create does:
 *   CRASH_SEGV   raise SIGSEGV (what a libedgetpu built for another TF version does)
 *   CRASH_ABORT  abort()
 *   RETURN_NULL  return NULL (what libedgetpu does when it finds no Edge TPU)
 *   PREPARE_FAILS  a delegate whose Prepare fails, so the interpreter refuses the graph
 *   (otherwise)  a delegate that loads and claims no nodes: the CPU kernels run
 * TfLiteDelegate's layout is that of tensorflow/lite/core/c/common.h: data_, Prepare,
 * three buffer-handle callbacks, int64 flags, then newer fields; calloc() leaves every
 * field we do not set NULL/0, and the extra room covers fields added after them. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct FakeDelegate {
    void *data_;
    int (*Prepare)(void *context, struct FakeDelegate *delegate);
    void *CopyFromBufferHandle;
    void *CopyToBufferHandle;
    void *FreeBufferHandle;
    int64_t flags;
    void *opaque_delegate_builder;
    char room_for_newer_fields[256];
} FakeDelegate;

#if !defined(CRASH_SEGV) && !defined(CRASH_ABORT) && !defined(RETURN_NULL)
static int prepare_claims_nothing(void *context, FakeDelegate *delegate) {
    (void)context;
    (void)delegate;
#if defined(PREPARE_FAILS)
    return 1; /* kTfLiteError */
#else
    return 0; /* kTfLiteOk, no ReplaceNodeSubsetsWithDelegateKernels: every node stays on the CPU */
#endif
}
#endif

void *tflite_plugin_create_delegate(char **keys, char **values, size_t count,
                                    void (*report_error)(const char *)) {
    (void)keys;
    (void)values;
    (void)count;
    (void)report_error;
#if defined(CRASH_SEGV)
    raise(SIGSEGV);
    return NULL;
#elif defined(CRASH_ABORT)
    abort();
#elif defined(RETURN_NULL)
    return NULL;
#else
    FakeDelegate *delegate = calloc(1, sizeof(FakeDelegate));
    if (delegate != NULL) {
        delegate->Prepare = prepare_claims_nothing;
    }
    return delegate;
#endif
}

void tflite_plugin_destroy_delegate(void *delegate) {
    free(delegate);
}
