package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/trustctl/trustctl/internal/policy"
)

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/trustctl/trustctl"
	policyDocURI = toolURI + "/blob/main/docs/policy.md"
	// fingerprintKey names trustctl's partial fingerprint; the /v1 changes if what
	// is hashed ever does, so that old and new alerts are not confused.
	fingerprintKey = "trustctlImageUse/v1"
)

// The subset of SARIF 2.1.0 that GitHub code scanning and other viewers use.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	FullName       string      `json:"fullName,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	Name                 string      `json:"name"`
	ShortDescription     sarifText   `json:"shortDescription"`
	FullDescription      sarifText   `json:"fullDescription"`
	HelpURI              string      `json:"helpUri"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func renderSARIF(w io.Writer, r VerifyReport) error {
	// Every rule is listed, found or not, so that ruleIndex is the same in every log.
	rules := make([]sarifRule, len(findingRules))
	for i, fr := range findingRules {
		rules[i] = sarifRule{
			ID:                   fr.ID,
			Name:                 fr.Name,
			ShortDescription:     sarifText{fr.Short},
			FullDescription:      sarifText{fr.Full},
			HelpURI:              policyDocURI,
			DefaultConfiguration: sarifConfig{fr.Level},
		}
	}
	results := []sarifResult{} // code scanning wants [] for a clean run, not null
	for _, d := range r.Decisions {
		i, ok := classify(d)
		if !ok {
			continue
		}
		res := sarifResult{
			RuleID:    findingRules[i].ID,
			RuleIndex: i,
			Level:     findingRules[i].Level,
			Message:   sarifText{message(d)},
			PartialFingerprints: map[string]string{
				fingerprintKey: fingerprint(d),
			},
		}
		if d.Source.File != "" {
			loc := sarifPhysicalLocation{ArtifactLocation: sarifArtifact{artifactURI(d.Source.File)}}
			if d.Source.Line > 0 {
				loc.Region = &sarifRegion{StartLine: d.Source.Line}
			}
			res.Locations = []sarifLocation{{loc}}
		}
		results = append(results, res)
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: "trustctl", FullName: r.Tool, InformationURI: toolURI, Rules: rules,
			}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// artifactURI turns a file path into a SARIF URI. A relative path stays relative, so
// that code scanning resolves it against the repository; an absolute one becomes a
// file URI. Characters such as spaces and '#' are percent-encoded.
func artifactURI(file string) string {
	p := slashPath(file)
	if !filepath.IsAbs(file) {
		return (&url.URL{Path: p}).String()
	}
	if !strings.HasPrefix(p, "/") { // C:/stack.yml
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// fingerprint identifies an image use across runs, whatever its line or result, so
// that code scanning tracks one alert while the file around it is edited.
func fingerprint(d policy.Decision) string {
	h := sha256.New()
	for _, part := range []string{slashPath(d.Source.File), serviceLabel(d.Source), d.Image.String()} {
		// Length-prefixed, so that no choice of names makes two uses hash alike.
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	return hex.EncodeToString(h.Sum(nil))
}
