package neo4jconf

import "github.com/graphops-dev/neo4j-operator/api/v1alpha1"

// defaultJVM are the server.jvm.additional lines of the neo4j.conf that
// ships with Neo4j, from the Operations Manual's table "Pre-defined values
// of server.jvm.additional" (configuration/neo4j-conf.adoc; branch 5.x for
// 5.26, branch dev for CalVer, which adds three). The image drops that
// file when /conf is mounted, so the operator renders them itself. Since
// is the first release that ships a line.
var defaultJVM = []struct {
	Arg   string
	Since Version
}{
	{"-XX:+UseG1GC", Version{}},
	{"-XX:-OmitStackTraceInFastThrow", Version{}},
	{"-XX:+AlwaysPreTouch", Version{}},
	{"-XX:+UnlockExperimentalVMOptions", Version{}},
	{"-XX:+TrustFinalNonStaticFields", Version{}},
	{"-XX:+DisableExplicitGC", Version{}},
	{"-XX:-RestrictContended", Version{}},
	{"-Djdk.nio.maxCachedBufferSize=1024", Version{}},
	{"-Dio.netty.tryReflectionSetAccessible=true", Version{}},
	{"-Dio.netty.leakDetection.level=DISABLED", Version{2025, 4}},
	{"-Djdk.tls.ephemeralDHKeySize=2048", Version{}},
	{"-Djdk.tls.rejectClientInitiatedRenegotiation=true", Version{}},
	{"-XX:FlightRecorderOptions=stackdepth=256", Version{}},
	{"-XX:+UnlockDiagnosticVMOptions", Version{}},
	{"-XX:+DebugNonSafepoints", Version{}},
	{"--add-opens=java.base/java.nio=ALL-UNNAMED", Version{}},
	{"--add-opens=java.base/java.io=ALL-UNNAMED", Version{}},
	{"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", Version{}},
	{"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED", Version{2025, 4}},
	{"--enable-native-access=ALL-UNNAMED", Version{}},
	{"-Dlog4j2.disable.jmx=true", Version{}},
	{"-Dlog4j.layout.jsonTemplate.maxStringLength=32768", Version{}},
	{"-Dorg.neo4j.shaded.lucene9.vectorization.upperJavaFeatureVersion=25", Version{2026, 2}},
}

// jvmArguments are the defaults of version v (unless turned off), then the
// user's, in order.
func jvmArguments(spec v1alpha1.JVMSpec, v Version) []string {
	var out []string
	if spec.UseDefaultArguments == nil || *spec.UseDefaultArguments {
		for _, d := range defaultJVM {
			if !v.Before(d.Since) {
				out = append(out, d.Arg)
			}
		}
	}
	return append(out, spec.AdditionalArguments...)
}

// IsDefaultJVMArgument reports whether arg is one of the lines Neo4j's own
// neo4j.conf ships with in some release, which the operator renders itself.
func IsDefaultJVMArgument(arg string) bool {
	for _, d := range defaultJVM {
		if d.Arg == arg {
			return true
		}
	}
	return false
}
