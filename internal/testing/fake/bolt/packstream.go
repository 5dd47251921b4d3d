package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// PackStream, the values Bolt messages are made of. Markers, from the
// driver's packstream package (neo4j/neo4j-go-driver, the facts only):
// null C0, false C2, true C3, float C1 + 8 bytes, integers as tiny
// (-16..127) or C8/C9/CA/CB with 1/2/4/8 bytes, bytes CC/CD/CE, strings
// 8x (up to 15 bytes) or D0/D1/D2, lists 9x or D4/D5/D6, maps Ax or
// D8/D9/DA, structures Bx (x fields) followed by a tag byte. Sizes and
// numbers are big-endian.

// Struct is a PackStream structure: a tag and its fields (every Bolt
// message is one).
type Struct struct {
	Tag    byte
	Fields []any
}

type encoder struct{ buf []byte }

func (e *encoder) header(tiny byte, m8, m16, m32 byte, n int) {
	switch {
	case n < 16 && tiny != 0:
		e.buf = append(e.buf, tiny|byte(n))
	case n <= math.MaxUint8 && m8 != 0:
		e.buf = append(e.buf, m8, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, m16)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(n))
	default:
		e.buf = append(e.buf, m32)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(n))
	}
}

func (e *encoder) int(v int64) {
	switch {
	case v >= -16 && v <= 127:
		e.buf = append(e.buf, byte(int8(v)))
	case v >= math.MinInt8 && v <= math.MaxInt8:
		e.buf = append(e.buf, 0xC8, byte(int8(v)))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		e.buf = append(e.buf, 0xC9)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(int16(v)))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		e.buf = append(e.buf, 0xCA)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(int32(v)))
	default:
		e.buf = append(e.buf, 0xCB)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v))
	}
}

func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, 0xC0)
	case bool:
		if x {
			e.buf = append(e.buf, 0xC3)
		} else {
			e.buf = append(e.buf, 0xC2)
		}
	case int:
		e.int(int64(x))
	case int64:
		e.int(x)
	case int32:
		e.int(int64(x))
	case float64:
		e.buf = append(e.buf, 0xC1)
		e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(x))
	case string:
		e.header(0x80, 0xD0, 0xD1, 0xD2, len(x))
		e.buf = append(e.buf, x...)
	case []byte:
		e.header(0, 0xCC, 0xCD, 0xCE, len(x))
		e.buf = append(e.buf, x...)
	case []string:
		e.header(0x90, 0xD4, 0xD5, 0xD6, len(x))
		for _, s := range x {
			_ = e.value(s)
		}
	case []any:
		e.header(0x90, 0xD4, 0xD5, 0xD6, len(x))
		for _, item := range x {
			if err := e.value(item); err != nil {
				return err
			}
		}
	case map[string]any:
		e.header(0xA0, 0xD8, 0xD9, 0xDA, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic bytes
		for _, k := range keys {
			_ = e.value(k)
			if err := e.value(x[k]); err != nil {
				return err
			}
		}
	case Struct:
		if len(x.Fields) > 15 {
			return fmt.Errorf("packstream: a structure has at most 15 fields")
		}
		e.buf = append(e.buf, 0xB0|byte(len(x.Fields)), x.Tag)
		for _, f := range x.Fields {
			if err := e.value(f); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("packstream: cannot encode %T", v)
	}
	return nil
}

// Encode packs one value.
func Encode(v any) ([]byte, error) {
	e := &encoder{}
	err := e.value(v)
	return e.buf, err
}

type decoder struct {
	buf []byte
	pos int
}

func (d *decoder) take(n int) ([]byte, error) {
	if d.pos+n > len(d.buf) {
		return nil, fmt.Errorf("packstream: truncated")
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) size(marker, m8, m16, m32 byte) (int, error) {
	width := map[byte]int{m8: 1, m16: 2, m32: 4}[marker]
	b, err := d.take(width)
	if err != nil {
		return 0, err
	}
	switch width {
	case 1:
		return int(b[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(b)), nil
	default:
		return int(binary.BigEndian.Uint32(b)), nil
	}
}

func (d *decoder) value() (any, error) {
	mb, err := d.take(1)
	if err != nil {
		return nil, err
	}
	m := mb[0]
	switch {
	case m <= 0x7F:
		return int64(m), nil
	case m >= 0xF0:
		return int64(int8(m)), nil
	case m>>4 == 0x8:
		b, err := d.take(int(m & 0x0F))
		return string(b), err
	case m>>4 == 0x9:
		return d.list(int(m & 0x0F))
	case m>>4 == 0xA:
		return d.dict(int(m & 0x0F))
	case m>>4 == 0xB:
		return d.structure(int(m & 0x0F))
	}
	switch m {
	case 0xC0:
		return nil, nil
	case 0xC2:
		return false, nil
	case 0xC3:
		return true, nil
	case 0xC1:
		b, err := d.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case 0xC8, 0xC9, 0xCA, 0xCB:
		b, err := d.take(map[byte]int{0xC8: 1, 0xC9: 2, 0xCA: 4, 0xCB: 8}[m])
		if err != nil {
			return nil, err
		}
		switch len(b) {
		case 1:
			return int64(int8(b[0])), nil
		case 2:
			return int64(int16(binary.BigEndian.Uint16(b))), nil
		case 4:
			return int64(int32(binary.BigEndian.Uint32(b))), nil
		default:
			return int64(binary.BigEndian.Uint64(b)), nil
		}
	case 0xD0, 0xD1, 0xD2:
		n, err := d.size(m, 0xD0, 0xD1, 0xD2)
		if err != nil {
			return nil, err
		}
		b, err := d.take(n)
		return string(b), err
	case 0xCC, 0xCD, 0xCE:
		n, err := d.size(m, 0xCC, 0xCD, 0xCE)
		if err != nil {
			return nil, err
		}
		b, err := d.take(n)
		return append([]byte(nil), b...), err
	case 0xD4, 0xD5, 0xD6:
		n, err := d.size(m, 0xD4, 0xD5, 0xD6)
		if err != nil {
			return nil, err
		}
		return d.list(n)
	case 0xD8, 0xD9, 0xDA:
		n, err := d.size(m, 0xD8, 0xD9, 0xDA)
		if err != nil {
			return nil, err
		}
		return d.dict(n)
	}
	return nil, fmt.Errorf("packstream: unknown marker %#x", m)
}

func (d *decoder) list(n int) ([]any, error) {
	out := make([]any, 0, n)
	for range n {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) dict(n int) (map[string]any, error) {
	out := make(map[string]any, n)
	for range n {
		k, err := d.value()
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("packstream: map key %T", k)
		}
		if out[ks], err = d.value(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *decoder) structure(n int) (Struct, error) {
	tag, err := d.take(1)
	if err != nil {
		return Struct{}, err
	}
	fields, err := d.list(n)
	return Struct{Tag: tag[0], Fields: fields}, err
}

// Decode unpacks one value.
func Decode(b []byte) (any, error) {
	d := &decoder{buf: b}
	v, err := d.value()
	if err == nil && d.pos != len(b) {
		err = fmt.Errorf("packstream: %d bytes after the value", len(b)-d.pos)
	}
	return v, err
}
