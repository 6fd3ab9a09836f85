package reencrypt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// JournalLabel is the tee.Seal label of the re-encryption journal.
const JournalLabel = protocol.ContextReencryptJournal

// Bounds of the journal, so that its decoder rejects oversized input before
// any work.
const (
	// MaxReasonLen bounds a Failure's Reason in the journal; longer reasons
	// are cut (at a UTF-8 boundary) when saved.
	MaxReasonLen = 256
	// MaxCheckpointLen bounds an encoded Checkpoint.
	MaxCheckpointLen = checkpointFixedLen + statestore.MaxNameLen +
		MaxReportedFailures*(2+statestore.MaxNameLen+2+MaxReasonLen)
	// maxJournalFileLen leaves room for any sealing overhead.
	maxJournalFileLen = MaxCheckpointLen + 4096
)

const (
	checkpointMagic   = "GKRJ"
	checkpointVersion = 1
	// magic, version, From, To, Index, Count, Done, Reencrypted, len(After), nFailures
	checkpointFixedLen = 4 + 1 + 4*4 + 8 + 8 + 2 + 4
)

// ErrJournal: a journal file that does not unseal or decode. Run treats it
// as no journal (and says so in its log): the job starts over, which is
// correct, only slower, because re-encrypting an object is idempotent.
var ErrJournal = errors.New("reencrypt: invalid journal")

// Sealer seals the journal to this pRuntime: tee.TEE implements it.
type Sealer interface {
	Seal(label string, plaintext []byte) ([]byte, error)
	Unseal(label string, sealed []byte) ([]byte, error)
}

// Checkpoint is what the journal records: the job, and that every object of
// its range whose name is ≤ After (byte order, as statestore.List sorts) was
// handled — it is at version To, or gone, or listed in Failures.
//
// Encoding, version 1 (all integers big-endian):
//
//	"GKRJ" || u8 1 || u32 From || u32 To || u32 Index || u32 Count ||
//	u64 Done || u64 Reencrypted || u16 len || After ||
//	u32 n || n × (u16 len || name || u16 len || reason)
//
// After is empty (nothing handled yet) or a valid statestore name; failure
// names are valid, strictly increasing and ≤ After; reasons are UTF-8 of at
// most MaxReasonLen bytes; n ≤ MaxReportedFailures; Reencrypted ≤ Done; the
// job validates; no byte follows.
type Checkpoint struct {
	Job         Job
	After       string
	Done        uint64
	Reencrypted uint64
	Failures    []Failure
}

// MarshalBinary encodes c, cutting over-long reasons. It fails on a
// checkpoint UnmarshalBinary would reject.
func (c Checkpoint) MarshalBinary() ([]byte, error) {
	fails := make([]Failure, len(c.Failures))
	for i, f := range c.Failures {
		fails[i] = Failure{Name: f.Name, Reason: cutReason(f.Reason)}
	}
	c.Failures = fails
	if err := c.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, checkpointFixedLen+len(c.After)+len(fails)*64)
	b = append(b, checkpointMagic...)
	b = append(b, checkpointVersion)
	b = binary.BigEndian.AppendUint32(b, c.Job.From)
	b = binary.BigEndian.AppendUint32(b, c.Job.To)
	b = binary.BigEndian.AppendUint32(b, c.Job.Range.Index)
	b = binary.BigEndian.AppendUint32(b, c.Job.Range.Count)
	b = binary.BigEndian.AppendUint64(b, c.Done)
	b = binary.BigEndian.AppendUint64(b, c.Reencrypted)
	b = appendString16(b, c.After)
	b = binary.BigEndian.AppendUint32(b, uint32(len(fails)))
	for _, f := range fails {
		b = appendString16(b, f.Name)
		b = appendString16(b, f.Reason)
	}
	return b, nil
}

func appendString16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// cutReason bounds a reason to MaxReasonLen bytes of valid UTF-8.
func cutReason(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > MaxReasonLen {
		s = s[:MaxReasonLen]
		// Drop a rune the cut split: at most 3 bytes.
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func (c *Checkpoint) validate() error {
	if err := c.Job.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, err)
	}
	if c.After != "" {
		if err := statestore.ValidateName(c.After); err != nil {
			return fmt.Errorf("%w: after: %w", ErrJournal, err)
		}
	}
	if c.Reencrypted > c.Done {
		return fmt.Errorf("%w: %d re-encrypted of %d done", ErrJournal, c.Reencrypted, c.Done)
	}
	if len(c.Failures) > MaxReportedFailures {
		return fmt.Errorf("%w: %d failures, limit %d", ErrJournal, len(c.Failures), MaxReportedFailures)
	}
	for i, f := range c.Failures {
		if err := statestore.ValidateName(f.Name); err != nil {
			return fmt.Errorf("%w: failure %d: %w", ErrJournal, i, err)
		}
		if i > 0 && f.Name <= c.Failures[i-1].Name {
			return fmt.Errorf("%w: failure %d: names not strictly increasing", ErrJournal, i)
		}
		if f.Name > c.After {
			return fmt.Errorf("%w: failure %d: name after the checkpoint", ErrJournal, i)
		}
		if len(f.Reason) > MaxReasonLen || !utf8.ValidString(f.Reason) {
			return fmt.Errorf("%w: failure %d: reason is not UTF-8 of at most %d bytes", ErrJournal, i, MaxReasonLen)
		}
	}
	return nil
}

// UnmarshalBinary decodes a checkpoint strictly (see Checkpoint). Errors
// match ErrJournal.
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	if len(b) > MaxCheckpointLen {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrJournal, len(b), MaxCheckpointLen)
	}
	r := reader{b: b}
	if string(r.bytes(4)) != checkpointMagic {
		return fmt.Errorf("%w: bad magic", ErrJournal)
	}
	if v := r.u8(); v != checkpointVersion {
		return fmt.Errorf("%w: unsupported format version %d", ErrJournal, v)
	}
	var out Checkpoint
	out.Job.From = r.u32()
	out.Job.To = r.u32()
	out.Job.Range.Index = r.u32()
	out.Job.Range.Count = r.u32()
	out.Done = r.u64()
	out.Reencrypted = r.u64()
	out.After = r.string16()
	n := r.u32()
	if r.err == nil && n > MaxReportedFailures {
		return fmt.Errorf("%w: %d failures, limit %d", ErrJournal, n, MaxReportedFailures)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		name := r.string16()
		reason := r.string16()
		out.Failures = append(out.Failures, Failure{Name: name, Reason: reason})
	}
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrJournal, r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrJournal, len(r.b))
	}
	if err := out.validate(); err != nil {
		return err
	}
	*c = out
	return nil
}

// reader consumes big-endian fields, remembering the first short read.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) string16() string { return string(r.bytes(int(r.u16()))) }

// Journal is the sealed, atomically written file that makes a job resumable.
// It holds one Checkpoint, sealed with JournalLabel and written through
// internal/atomicfile, so a crash leaves the previous checkpoint or the new
// one. Keep one journal per gatekeeper, in its sealed-state directory.
type Journal struct {
	path   string
	sealer Sealer
}

// NewJournal returns the journal at path, sealed by s. Nothing is read or
// written until Run (or Load, Save) needs it.
func NewJournal(path string, s Sealer) (*Journal, error) {
	if path == "" {
		return nil, errors.New("reencrypt: journal: empty path")
	}
	if s == nil {
		return nil, errors.New("reencrypt: journal: nil sealer")
	}
	return &Journal{path: path, sealer: s}, nil
}

// Path returns the journal's file.
func (j *Journal) Path() string { return j.path }

// Load reads the checkpoint. A missing file is an error matching
// fs.ErrNotExist; a file that does not unseal or decode matches ErrJournal.
func (j *Journal) Load() (Checkpoint, error) {
	f, err := os.Open(j.path)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reencrypt: journal: %w", err)
	}
	defer f.Close()
	sealed, err := io.ReadAll(io.LimitReader(f, maxJournalFileLen+1))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reencrypt: journal: %w", err)
	}
	if len(sealed) > maxJournalFileLen {
		return Checkpoint{}, fmt.Errorf("%w: file exceeds %d bytes", ErrJournal, maxJournalFileLen)
	}
	raw, err := j.sealer.Unseal(JournalLabel, sealed)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	var c Checkpoint
	if err := c.UnmarshalBinary(raw); err != nil {
		return Checkpoint{}, err
	}
	return c, nil
}

// Save replaces the checkpoint, atomically and durably.
func (j *Journal) Save(c Checkpoint) error {
	raw, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	sealed, err := j.sealer.Seal(JournalLabel, raw)
	if err != nil {
		return fmt.Errorf("reencrypt: journal: seal: %w", err)
	}
	if err := atomicfile.Write(j.path, sealed, 0o600); err != nil {
		return fmt.Errorf("reencrypt: journal: %w", err)
	}
	return nil
}

// removeTemps deletes the temp files a crash during Save left behind: only
// this journal's, since other sealed files may be written in the same
// directory at the same time.
func (j *Journal) removeTemps() error {
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(j.path), globEscape(filepath.Base(j.path))+".*"+atomicfile.TempSuffix))
	if err != nil {
		return fmt.Errorf("reencrypt: journal: %w", err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reencrypt: journal: %w", err)
		}
	}
	return nil
}

// globEscape quotes the metacharacters of filepath.Match.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Remove deletes the journal (once the old key version is retired); a
// missing journal is not an error.
func (j *Journal) Remove() error {
	if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reencrypt: journal: %w", err)
	}
	return nil
}
