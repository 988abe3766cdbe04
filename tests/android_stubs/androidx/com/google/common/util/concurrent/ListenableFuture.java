// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.guava:listenablefuture 1.0 (what CameraX 1.6 returns from
// ProcessCameraProvider.getInstance): "public interface ListenableFuture<V extends @Nullable Object>
// extends Future<V> { void addListener(Runnable listener, Executor executor); }"
// https://guava.dev/releases/snapshot-jre/api/docs/com/google/common/util/concurrent/ListenableFuture.html
package com.google.common.util.concurrent;

import java.util.concurrent.Executor;
import java.util.concurrent.Future;

public interface ListenableFuture<V> extends Future<V> {
    void addListener(Runnable listener, Executor executor);
}
