// Top-level build file: plugin versions come from gradle/libs.versions.toml.
buildscript {
    repositories {
        google()
        mavenCentral()
    }
    dependencies {
        // AGP 9 compiles Kotlin itself ("built-in Kotlin"). This puts the catalog's
        // Kotlin Gradle plugin on the classpath so that version is used instead of
        // the older one AGP depends on.
        classpath(libs.kotlin.gradle.plugin)
    }
}

plugins {
    alias(libs.plugins.android.application) apply false
}
