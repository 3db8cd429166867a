//go:build race

package svc_test

// raceDetector tells whether the test binary was built with -race.
const raceDetector = true
