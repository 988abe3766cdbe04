@rem Gradle wrapper launcher (Windows), written by effkit; Gradle's own "gradle wrapper"
@rem task replaces it. It runs gradle\wrapper\gradle-wrapper.jar, which downloads the
@rem Gradle named in gradle\wrapper\gradle-wrapper.properties, checked against
@rem distributionSha256Sum, and runs the build with it. The jar is not shipped: see
@rem README.md, Build. It runs only if its SHA-256 is the one Gradle publishes for 9.6.1:
@rem https://services.gradle.org/distributions/gradle-9.6.1-wrapper.jar.sha256
@if "%DEBUG%"=="" @echo off
setlocal

set "WRAPPER_SHA256=497c8c2a7e5031f6aa847f88104aa80a93532ec32ee17bdb8d1d2f67a194a9c7"
set "APP_HOME=%~dp0"
set "WRAPPER_JAR=%APP_HOME%gradle\wrapper\gradle-wrapper.jar"
set "FIX=add Gradle 9.6.1's wrapper jar as README.md, Build, shows: gradle wrapper --gradle-version 9.6.1 then gradlew wrapper in an empty folder; or build from Android Studio"

if exist "%WRAPPER_JAR%" goto checkJar
echo gradlew: gradle\wrapper\gradle-wrapper.jar is missing: %FIX% 1>&2
exit /b 1

:checkJar
set "ACTUAL="
for /f "skip=1 delims=" %%h in ('certutil -hashfile "%WRAPPER_JAR%" SHA256') do if not defined ACTUAL set "ACTUAL=%%h"
if defined ACTUAL set "ACTUAL=%ACTUAL: =%"
if /i "%ACTUAL%"=="%WRAPPER_SHA256%" goto findJava
echo gradlew: gradle\wrapper\gradle-wrapper.jar is not Gradle 9.6.1's published wrapper jar: %FIX% 1>&2
exit /b 1

:findJava
set "JAVA_EXE=java.exe"
if defined JAVA_HOME set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
if defined JAVA_HOME if not exist "%JAVA_EXE%" goto noJava
if not defined JAVA_HOME where java.exe >nul 2>&1 || goto noJava

"%JAVA_EXE%" -Xmx64m -Xms64m %JAVA_OPTS% %GRADLE_OPTS% "-Dorg.gradle.appname=gradlew" -classpath "%WRAPPER_JAR%" org.gradle.wrapper.GradleWrapperMain %*
exit /b %ERRORLEVEL%

:noJava
echo gradlew: no java.exe found: install JDK 17 or newer and set JAVA_HOME 1>&2
exit /b 1
