package device

// Internals the external tests of this package reach.
var (
	VerifyEntry   = verifyEntry
	EncodeEntry   = encodeEntry
	NoDeviceError = noDeviceError
)

// EntryHeaderSize is the size of a cache entry's header.
const EntryHeaderSize = entryHeaderSize

// PlatformReport is what one platform answered when asked for its devices.
type PlatformReport = platformReport

// Allocated returns the bytes held by the context's live buffers.
func (c *Context) Allocated() int64 { return c.allocatedBytes() }

// Wait blocks until the event's command has completed.
func (e *Event) Wait() error { return e.wait() }
