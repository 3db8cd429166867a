package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tracegate/tracegate/gateway/audit"
)

// keygen writes an Ed25519 private key (PKCS#8 PEM, mode 0600) and its public
// key next to it (.pub.pem), and/or an audit MAC key (mode 0600).
func keygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "Ed25519 private key file to write (public key: same name with .pub.pem)")
	macOut := fs.String("mac-out", "", "audit MAC key file to write (audit.mac_key_file, --audit-mac-key)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *out == "" && *macOut == "" {
		fmt.Fprintln(stderr, "usage: tracegate keygen [--out key.pem] [--mac-out mac.key]")
		return 2
	}
	if *out != "" {
		if err := writeKeyPair(*out, stdout); err != nil {
			fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
			return 1
		}
	}
	if *macOut != "" {
		if err := writeNew(*macOut, audit.GenerateMACKey(), 0o600); err != nil {
			fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s (MAC key id %s)\n", *macOut, audit.MACKeyID(mustLoadMAC(*macOut)))
	}
	return 0
}

func writeKeyPair(out string, stdout io.Writer) error {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	privPEM, pubPEM, err := audit.MarshalKeyPair(priv)
	if err != nil {
		return err
	}
	pubPath := strings.TrimSuffix(out, ".pem") + ".pub.pem"
	if err := os.WriteFile(out, privPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", out, pubPath)
	return nil
}

// writeNew writes a secret to a file that must not exist yet: replacing a
// MAC key would make the log it keys unverifiable.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func mustLoadMAC(path string) []byte {
	k, _ := audit.LoadMACKey(path)
	return k
}
