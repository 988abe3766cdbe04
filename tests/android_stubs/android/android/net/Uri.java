// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/net/Uri ("public abstract class Uri implements Parcelable, Comparable<Uri>"; Parcelable left out)
package android.net;

public abstract class Uri implements Comparable<Uri> {
    Uri() {}

    public static Uri fromParts(String scheme, String ssp, String fragment) { throw new RuntimeException("Stub!"); }
}
