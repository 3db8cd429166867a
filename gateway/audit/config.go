package audit

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Defaults used by [DefaultConfig].
const (
	DefaultPlaintextArgsMax   = 4096
	DefaultRotateBytes        = 64 << 20
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = time.Minute
	DefaultQueueSize          = 4096
	// DefaultReplicaID names the writer in checkpoint spans when
	// FileConfig.ReplicaID is empty.
	DefaultReplicaID = "default"
)

// Configuration errors returned (wrapped) by [Config.Validate].
var (
	ErrInvalidMode       = errors.New("audit: invalid mode (want strict, blocking or batch)")
	ErrInvalidLevel      = errors.New("audit: invalid method level (want none or metadata)")
	ErrInvalidRotate     = errors.New("audit: rotate_bytes must be >= 4096 or 0 to disable")
	ErrInvalidCheckpoint = errors.New("audit: checkpoint_every and checkpoint_interval must be >= 0")
	ErrInvalidQueueSize  = errors.New("audit: queue_size must be > 0")
	ErrInvalidArgsMax    = errors.New("audit: plaintext_args_max must be >= 0")
	ErrHMACKeyConflict   = errors.New("audit: set hmac_key or hmac_key_file, not both")
	ErrStrictNeedsFile   = errors.New("audit: strict mode needs file.path (a durable sink)")
)

// Config is the plain-data audit configuration (YAML).
type Config struct {
	// Mode is the durability mode for every call (default blocking).
	Mode Mode `yaml:"mode"`
	// ToolModes overrides Mode per tool (exact tool names).
	ToolModes map[string]Mode `yaml:"tool_modes"`
	// File configures the hash-chained JSON Lines file; empty Path disables it.
	File FileConfig `yaml:"file"`
	// HMACKey (raw string) or HMACKeyFile (file contents) keys the arguments
	// digest; with neither, a random per-process key is used.
	HMACKey     string `yaml:"hmac_key"`
	HMACKeyFile string `yaml:"hmac_key_file"`
	// MACKeyFile holds the secret (at least 32 bytes, see [LoadMACKey] and
	// `tracegate keygen --mac-out`) that keys the chain of the audit file:
	// each record carries an HMAC-SHA256 over it and, through prev_hash,
	// over every record before it, so records after the last signed
	// checkpoint cannot be rewritten without it. Keep it apart from the
	// checkpoint signing key. Empty: the chain is unkeyed (development).
	MACKeyFile string `yaml:"mac_key_file"`
	// PlaintextArgsTools lists tools whose arguments are recorded in clear.
	PlaintextArgsTools []string `yaml:"plaintext_args_tools"`
	// PlaintextArgsMax caps recorded plaintext arguments in bytes.
	PlaintextArgsMax int `yaml:"plaintext_args_max"`
	// MethodLevel is what is recorded for methods other than tools/call.
	MethodLevel Level `yaml:"method_level"`
	// QueueSize bounds the batch-mode queue.
	QueueSize int `yaml:"queue_size"`
}

// FileConfig configures the file sink.
type FileConfig struct {
	// Path of the first file, e.g. /var/log/tracegate/audit.jsonl.
	Path string `yaml:"path"`
	// RotateBytes starts a new file when the current one would exceed it.
	RotateBytes int64 `yaml:"rotate_bytes"`
	// CheckpointEvery writes a signed checkpoint every N records (0: off).
	CheckpointEvery int `yaml:"checkpoint_every"`
	// CheckpointInterval writes one every T if records were added (0: off).
	CheckpointInterval time.Duration `yaml:"checkpoint_interval"`
	// SigningKeyFile is a PEM PKCS#8 Ed25519 private key; without it no
	// checkpoints are written and only the hash chain protects the file.
	SigningKeyFile string `yaml:"signing_key_file"`
	// ReplicaID names this writer in checkpoint spans (default "default").
	// A placeholder for several gateways writing their own logs.
	ReplicaID string `yaml:"replica_id"`
}

// DefaultConfig returns blocking mode, no file, metadata level for methods.
func DefaultConfig() Config {
	return Config{
		Mode: ModeBlocking,
		File: FileConfig{
			RotateBytes:        DefaultRotateBytes,
			CheckpointEvery:    DefaultCheckpointEvery,
			CheckpointInterval: DefaultCheckpointInterval,
		},
		PlaintextArgsMax: DefaultPlaintextArgsMax,
		MethodLevel:      LevelMetadata,
		QueueSize:        DefaultQueueSize,
	}
}

func (m Mode) valid() bool { return m == ModeStrict || m == ModeBlocking || m == ModeBatch }

// Validate reports the first configuration error.
func (c Config) Validate() error {
	if !c.Mode.valid() {
		return fmt.Errorf("%w: mode %q", ErrInvalidMode, c.Mode)
	}
	strict := c.Mode == ModeStrict
	for tool, m := range c.ToolModes {
		if !m.valid() {
			return fmt.Errorf("%w: tool %q mode %q", ErrInvalidMode, tool, m)
		}
		strict = strict || m == ModeStrict
	}
	if c.MethodLevel != LevelNone && c.MethodLevel != LevelMetadata {
		return fmt.Errorf("%w: %q", ErrInvalidLevel, c.MethodLevel)
	}
	if c.File.RotateBytes != 0 && c.File.RotateBytes < 4096 {
		return fmt.Errorf("%w: %d", ErrInvalidRotate, c.File.RotateBytes)
	}
	if c.File.CheckpointEvery < 0 || c.File.CheckpointInterval < 0 {
		return ErrInvalidCheckpoint
	}
	if c.QueueSize <= 0 {
		return fmt.Errorf("%w: %d", ErrInvalidQueueSize, c.QueueSize)
	}
	if c.PlaintextArgsMax < 0 {
		return fmt.Errorf("%w: %d", ErrInvalidArgsMax, c.PlaintextArgsMax)
	}
	if c.HMACKey != "" && c.HMACKeyFile != "" {
		return ErrHMACKeyConflict
	}
	if strict && c.File.Path == "" {
		return ErrStrictNeedsFile
	}
	return nil
}

// modeFor returns the durability mode for a tool.
func (c Config) modeFor(tool string) Mode {
	if m, ok := c.ToolModes[tool]; ok {
		return m
	}
	return c.Mode
}

// macKey reads MACKeyFile (nil when unset).
func (c Config) macKey() ([]byte, error) {
	if c.MACKeyFile == "" {
		return nil, nil
	}
	return LoadMACKey(c.MACKeyFile)
}

func (c Config) hmacKey() ([]byte, error) {
	if c.HMACKeyFile == "" {
		return []byte(c.HMACKey), nil
	}
	b, err := os.ReadFile(c.HMACKeyFile)
	if err != nil {
		return nil, fmt.Errorf("audit: read hmac key: %w", err)
	}
	return b, nil
}
