#!/usr/bin/env bash
# Fills the local Maven repository (default ~/.m2/repository; extra arguments
# go to Maven, e.g. -Dmaven.repo.local=DIR) with everything the Java
# binding's build and tests use, so that Meson can run Maven offline (-o).
# Called by .ci/install-deps; needs network access to Maven Central.
#
# dependency:go-offline alone misses what Maven and surefire resolve only
# while running (plexus-utils for old plugins, the JUnit Platform provider),
# so this builds and tests a throwaway project with the binding's pom: the
# same plugins and versions, a one-class main and a one-test suite. Nothing is
# written into the source tree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/pom.xml" "$work/pom.xml"
mkdir -p "$work/src/main/java/ai/qeff" "$work/src/test/java/ai/qeff" "$work/swig" "$work/native"
echo 'package ai.qeff; final class Fetch { static int one() { return 1; } }' \
  > "$work/src/main/java/ai/qeff/Fetch.java"
cat > "$work/src/test/java/ai/qeff/FetchTest.java" <<'JAVA'
package ai.qeff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;
class FetchTest {
  @Test
  void one() {
    assertEquals(1, Fetch.one());
  }
}
JAVA
mvn=(mvn -B -q -f "$work/pom.xml" "-Dqeff.build.dir=$work/target" "-Dqeff.swig.dir=$work/swig"
     "-Dqeff.native.dir=$work/native" "$@")
"${mvn[@]}" dependency:go-offline package
# The same again offline: fails here, not in Meson, if anything is missing.
"${mvn[@]}" -o clean package
echo "fetch-deps: Maven repository ready for offline builds of bindings/java"
