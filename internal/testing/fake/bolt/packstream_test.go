package bolt

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Exact bytes for each size class, and a round trip.
func TestPackStream(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want []byte // nil: round trip only
	}{
		{nil, []byte{0xC0}},
		{true, []byte{0xC3}},
		{false, []byte{0xC2}},
		{int64(1), []byte{0x01}},
		{int64(-16), []byte{0xF0}},
		{int64(-17), []byte{0xC8, 0xEF}},
		{int64(127), []byte{0x7F}},
		{int64(128), []byte{0xC9, 0x00, 0x80}},
		{int64(-129), []byte{0xC9, 0xFF, 0x7F}},
		{int64(40000), []byte{0xCA, 0x00, 0x00, 0x9C, 0x40}},
		{int64(math.MaxInt64), []byte{0xCB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
		{1.5, []byte{0xC1, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0}},
		{"", []byte{0x80}},
		{"a", []byte{0x81, 'a'}},
		{strings.Repeat("x", 16), append([]byte{0xD0, 16}, bytes.Repeat([]byte{'x'}, 16)...)},
		{strings.Repeat("x", 300), append([]byte{0xD1, 0x01, 0x2C}, bytes.Repeat([]byte{'x'}, 300)...)},
		{[]any{int64(1), "a"}, []byte{0x92, 0x01, 0x81, 'a'}},
		{map[string]any{"b": int64(2), "a": int64(1)}, []byte{0xA2, 0x81, 'a', 0x01, 0x81, 'b', 0x02}},
		{Struct{Tag: 0x70, Fields: []any{map[string]any{}}}, []byte{0xB1, 0x70, 0xA0}},
		{[]byte{1, 2}, []byte{0xCC, 2, 1, 2}},
		{make([]any, 20), nil},
		{map[string]any{"k": []any{map[string]any{"n": nil}}}, nil},
	} {
		got, err := Encode(tc.v)
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		if tc.want != nil && !bytes.Equal(got, tc.want) {
			t.Errorf("%v: % x, want % x", tc.v, got, tc.want)
		}
		back, err := Decode(got)
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		if !reflect.DeepEqual(back, tc.v) {
			t.Errorf("round trip of %#v gave %#v", tc.v, back)
		}
	}
	if _, err := Decode([]byte{0xD0, 5, 'a'}); err == nil {
		t.Error("a truncated string must fail")
	}
	if _, err := Decode([]byte{0x01, 0x02}); err == nil {
		t.Error("trailing bytes must fail")
	}
}
