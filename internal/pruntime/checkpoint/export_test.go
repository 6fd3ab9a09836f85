package checkpoint

// Internals the black-box tests reach for: the codec of the sealed plaintext
// (fuzzed directly), file naming (to plant files) and the crash hook.
var (
	Encode   = encode
	Decode   = decode
	FileName = fileName
)

// TempMark starts the name of every temporary file Save creates.
const TempMark = tempMark

// SetTestHook makes Save call f at each step where a crash leaves a distinct
// state on disk. Not safe to call while a Save runs.
func SetTestHook(f func(point string)) { testHook = f }
