// Package archtest holds the test that keeps the dependency direction of DESIGN.md:
// arrows point down only.
package archtest
