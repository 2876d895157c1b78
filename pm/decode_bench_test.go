package pm

import "testing"

// BenchmarkParseEvent decodes the events the kernel sent for one
// connection (testdata/events/connection-client.hex: CREATED, ESTABLISHED,
// CLOSED and the subflow events), without the socket: the allocations per
// op are those of parseEvent for that many events.
func BenchmarkParseEvent(b *testing.B) {
	msgs, _ := readEventFixture(b, "connection-client")
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if _, err := parseEvent(m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(msgs)), "events/op")
}
