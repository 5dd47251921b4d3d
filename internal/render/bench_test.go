package render_test

import (
	"testing"

	"github.com/graphops-dev/neo4j-operator/internal/render"
)

// BenchmarkRender measures one full render of each sample: the cost every
// reconcile pays before it finds (usually) nothing to write.
func BenchmarkRender(b *testing.B) {
	for _, path := range samples(b) {
		c := loadSample(b, path)
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render.Render(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
