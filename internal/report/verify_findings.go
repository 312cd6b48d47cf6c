package report

import (
	"github.com/trustctl/trustctl/internal/policy"
)

// findingRule is a kind of finding. Its ID is the SARIF rule ID, which code scanning
// keys alerts by: IDs are never reused or renumbered (docs/report-json.md).
type findingRule struct {
	ID, Name, Short, Full string
	Level                 string // SARIF level: error, warning or note
}

// Indexes into findingRules.
const (
	ruleUnsigned = iota
	ruleDigestMismatch
	ruleTeamsMissing
	ruleTrustData
	ruleDenied
	ruleExpiredException
	ruleWarning
	ruleUnpinned
	ruleException
	ruleShadowed
	ruleProvider
	ruleTagMismatch
	ruleTagUnbound
)

var findingRules = []findingRule{
	ruleUnsigned: {"TRUSTCTL001", "UnsignedImage", "Image is not signed",
		"The tag, or the digest the image pins, has no validly signed release in targets/releases or targets.", "error"},
	ruleDigestMismatch: {"TRUSTCTL002", "DigestMismatch", "Pinned digest is not the signed one",
		"The image pins a digest, but its tag is signed with another digest.", "error"},
	ruleTeamsMissing: {"TRUSTCTL003", "TeamSignaturesMissing", "Required team signatures are missing",
		"The image is signed, but not every team the rule requires signed the released digest.", "error"},
	ruleTrustData: {"TRUSTCTL004", "TrustDataError", "Trust data cannot be used",
		"The repository's trust data is missing, expired or fails verification (signatures, root pin, rollback).", "error"},
	ruleDenied: {"TRUSTCTL005", "DeniedByPolicy", "Image is denied by the policy",
		"A deny rule matches the image, or the image violates the policy in another way.", "error"},
	ruleExpiredException: {"TRUSTCTL006", "ExpiredException", "Policy exception has expired",
		"An exception matches the image but has expired: the rules decide again, and the exception should be removed or renewed.", "warning"},
	ruleWarning: {"TRUSTCTL007", "PolicyWarning", "Policy warning",
		"A failure or trust error under a rule in warn mode, a pass with a trust warning (unpinned root, expired trust data), or a service without an image.", "warning"},
	ruleUnpinned: {"TRUSTCTL008", "UnpinnedRoot", "Repository root is not pinned",
		"No trust pin covers the repository and trust.on_unpinned is deny.", "error"},
	ruleException: {"TRUSTCTL009", "Exception", "Image passes by an exception",
		"An unexpired exception lets the image pass whatever its trust data says.", "note"},
	ruleShadowed: {"TRUSTCTL010", "ShadowedTag", "A delegated role hides the signed tag",
		"docker's lookup (GetTargetByName in targets/releases, then targets) first meets the tag in a delegated role other than targets/releases, and docker pulls only from targets/releases or targets: it refuses the tag.", "error"},
	ruleProvider: {"TRUSTCTL011", "ProviderService", "Service runs no image",
		"A provider: service is run by a plugin, not from an image: there is no signature to verify.", "note"},
	ruleTagMismatch: {"TRUSTCTL012", "CosignTagMismatch", "A cosign signature names another tag",
		"The only cosign signatures by policy keys on the image's digest name another tag or image in their signed docker-reference: a signature for one tag does not sign another that points at the same digest.", "error"},
	ruleTagUnbound: {"TRUSTCTL013", "CosignTagUnbound", "A cosign signature does not name the tag",
		"The cosign signatures by policy keys on the image's digest name the repository only (cosign sign's default) and trust.tag_binding is required: sign with --sign-container-identity REPO:TAG.", "error"},
}

// classify returns the index of the rule d is a finding of; ok is false for a pass
// with nothing to report. A failure with an unknown code is reported as a denial,
// never dropped.
func classify(d policy.Decision) (rule int, ok bool) {
	switch d.Result {
	case policy.Pass:
		if d.Code == policy.CodeProvider {
			return ruleProvider, true
		}
		return ruleExpiredException, d.ExpiredException != ""
	case policy.Exception:
		return ruleException, true
	case policy.Warn:
		return ruleWarning, true
	case policy.TrustError:
		return ruleTrustData, true
	}
	switch d.Code {
	case policy.CodeTeamsMissing:
		return ruleTeamsMissing, true
	case policy.CodeDigestMismatch:
		return ruleDigestMismatch, true
	case policy.CodeUnpinned:
		return ruleUnpinned, true
	case policy.CodeUnsigned:
		return ruleUnsigned, true
	case policy.CodeShadowed:
		return ruleShadowed, true
	case policy.CodeTagMismatch:
		return ruleTagMismatch, true
	case policy.CodeTagUnbound:
		return ruleTagUnbound, true
	}
	return ruleDenied, true
}
