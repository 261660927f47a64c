package npz

import (
	"encoding/binary"
	"fmt"
	"io/fs"
)

// dtype is a parsed npy descr of a plain numeric type.
type dtype struct {
	kind  byte // 'f' float, 'i' signed integer, 'u' unsigned integer, 'b' bool
	size  int  // bytes per element
	order binary.ByteOrder
}

// parseDescr parses descr, such as "<f8", "|u1" or ">i4". It accepts float64,
// float32, bool and the integer types of 1, 2, 4 and 8 bytes. The byte order
// is '<' or '>', or '|' (or either of the others) for one-byte types; numpy
// never writes '=' to a file.
func parseDescr(descr string) (dtype, error) {
	unsupported := fmt.Errorf("dtype %q is not supported (want float64, float32, an integer type or bool)", descr)
	if len(descr) != 3 {
		return dtype{}, unsupported
	}
	dt := dtype{kind: descr[1], size: int(descr[2] - '0')}
	switch dt.kind {
	case 'f':
		if dt.size != 4 && dt.size != 8 {
			return dtype{}, unsupported
		}
	case 'i', 'u':
		if dt.size != 1 && dt.size != 2 && dt.size != 4 && dt.size != 8 {
			return dtype{}, unsupported
		}
	case 'b':
		if dt.size != 1 {
			return dtype{}, unsupported
		}
	default:
		return dtype{}, unsupported
	}
	switch descr[0] {
	case '<':
		dt.order = binary.LittleEndian
	case '>':
		dt.order = binary.BigEndian
	case '|':
		if dt.size != 1 {
			return dtype{}, unsupported
		}
		dt.order = binary.LittleEndian
	default:
		return dtype{}, unsupported
	}
	return dt, nil
}

// maxExact is 2^53: every integer of at most this magnitude is exactly a
// float64.
const maxExact = 1 << 53

// decodeInts converts n bool or integer elements of raw, in file order, to
// float64. On an element it refuses it returns that element's index in file
// order and an error.
func decodeInts(dt dtype, n int, raw []byte) ([]float64, int, error) {
	data := make([]float64, n)
	for k := range data {
		b := raw[k*dt.size : (k+1)*dt.size]
		switch dt.kind {
		case 'b':
			if b[0] > 1 {
				return nil, k, fmt.Errorf("bool byte %d is not 0 or 1", b[0])
			}
			data[k] = float64(b[0])
		case 'u':
			var v uint64
			switch dt.size {
			case 1:
				v = uint64(b[0])
			case 2:
				v = uint64(dt.order.Uint16(b))
			case 4:
				v = uint64(dt.order.Uint32(b))
			default:
				v = dt.order.Uint64(b)
			}
			if v > maxExact {
				return nil, k, fmt.Errorf("%d is beyond 2^53, past which float64 cannot hold every integer exactly", v)
			}
			data[k] = float64(v)
		default: // 'i'
			var v int64
			switch dt.size {
			case 1:
				v = int64(int8(b[0]))
			case 2:
				v = int64(int16(dt.order.Uint16(b)))
			case 4:
				v = int64(int32(dt.order.Uint32(b)))
			default:
				v = int64(dt.order.Uint64(b))
			}
			if v > maxExact || v < -maxExact {
				return nil, k, fmt.Errorf("%d is beyond ±2^53, past which float64 cannot hold every integer exactly", v)
			}
			data[k] = float64(v)
		}
	}
	return data, 0, nil
}

// unravel returns the multi-index of element k, counted in memory order (C
// order, or Fortran order when fortran is set), of an array of the given
// shape.
func unravel(k int, shape []int, fortran bool) []int {
	idx := make([]int, len(shape))
	for a := range shape {
		axis := len(shape) - 1 - a // C order: the last axis varies fastest
		if fortran {
			axis = a
		}
		if d := shape[axis]; d > 0 {
			idx[axis] = k % d
			k /= d
		}
	}
	return idx
}

// FileKind describes a file mode that is not a regular file, for errors:
// "a directory", "a named pipe (FIFO)", "a character device" and so on.
func FileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	default:
		return "not a regular file"
	}
}
