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
// key next to it (.pub.pem).
func keygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "private key file to write (public key: same name with .pub.pem)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *out == "" {
		fmt.Fprintln(stderr, "usage: tracegate keygen --out key.pem")
		return 2
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
		return 1
	}
	privPEM, pubPEM, err := audit.MarshalKeyPair(priv)
	if err != nil {
		fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
		return 1
	}
	pubPath := strings.TrimSuffix(*out, ".pem") + ".pub.pem"
	if err := os.WriteFile(*out, privPEM, 0o600); err != nil {
		fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
		return 1
	}
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		fmt.Fprintf(stderr, "tracegate keygen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", *out, pubPath)
	return 0
}
