// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.flatbuffers:flatbuffers-java (a dependency of litert-metadata): the base class of
// the generated metadata tables, "public class Table", constructed empty before __init:
// https://github.com/google/flatbuffers/blob/master/java/src/main/java/com/google/flatbuffers/Table.java
package com.google.flatbuffers;

public class Table {
    public Table() {}
}
