package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustctl/trustctl/internal/exitcode"
)

// Result is the outcome for one image, ordered from best to worst.
type Result int

const (
	Pass       Result = iota // the policy is satisfied
	Exception                // an exception let the image pass
	Warn                     // a failure in warn mode, or a pass with a trust warning
	TrustError               // the trust data could not be used
	Fail                     // the policy is violated
)

func (r Result) String() string {
	switch r {
	case Pass:
		return "pass"
	case Exception:
		return "exception"
	case Warn:
		return "warn"
	case TrustError:
		return "trust-error"
	case Fail:
		return "fail"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// MarshalText writes the result as its name in reports.
func (r Result) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Kind is the kind of error `trustctl verify` ends with when r is the worst result: a
// violation, a trust data error, or none (nil).
func (r Result) Kind() error {
	switch r {
	case Fail:
		return exitcode.ErrViolation
	case TrustError:
		return exitcode.ErrTrustData
	}
	return nil
}

// Decision is the verdict for one image use.
type Decision struct {
	Image  Image  `json:"image"`
	Source Source `json:"source"`
	Result Result `json:"result"`
	Reason string `json:"reason"` // one line
	// Rule is what decided: "rules[0] registry.example.com/payments/**", "default",
	// "exceptions[2] registry.example.com/tools/debug:*".
	Rule string `json:"rule"`
	// Digest is the digest the reference resolves to, when known.
	Digest string `json:"digest,omitempty"`
	// SignedBy are the teams (for a teams rule) or roles whose signatures count.
	SignedBy []string `json:"signed_by,omitempty"`
	// ExpiredException is the expired exception that matched and no longer applies.
	ExpiredException string `json:"expired_exception,omitempty"`
	// Code is the machine-readable cause of the result, stable for reports; under a
	// rule in warn mode it is the cause the warning downgraded.
	Code Code `json:"code"`
}

// Code is why a decision came out as it did.
type Code string

// Codes of decisions.
const (
	CodeSigned         Code = "signed"           // the release (and the teams) signed it
	CodeNoneRequired   Code = "none-required"    // require: none
	CodeException      Code = "exception"        // an unexpired exception
	CodeUnsigned       Code = "unsigned"         // no released signature for the tag or digest
	CodeShadowed       Code = "shadowed"         // a delegated role holds the tag first: docker refuses it
	CodeDigestMismatch Code = "digest-mismatch"  // the tag is signed with another digest than the pinned one
	CodeTeamsMissing   Code = "teams-missing"    // a required team did not sign the released digest
	CodeDenied         Code = "denied"           // require: deny
	CodeUnpinned       Code = "unpinned"         // no pin covers the repository and on_unpinned is deny
	CodeTrustData      Code = "trust-data"       // the trust data is missing, expired or invalid
	CodeBuildOnly      Code = "build-only"       // a service without an image: nothing to verify
	CodeProvider       Code = "provider"         // a provider: service runs no image
	CodeNotDeployed    Code = "not-deployed"     // left out by inactive profiles: not checked
	CodeTagMismatch    Code = "tag-mismatch"     // a cosign signature on the digest names another tag or image
	CodeTagUnbound     Code = "tag-unbound"      // a cosign signature names the repository only; tag_binding is required
	CodeEvidence       Code = "evidence-invalid" // kept evidence of Notary v1 signatures was altered or does not verify
)

// Candidate is a policy entry that matched an image.
type Candidate struct {
	Label       string      `json:"label"`
	Pattern     string      `json:"pattern,omitempty"` // normalised
	Specificity Specificity `json:"specificity"`
	Won         bool        `json:"won"`
	Why         string      `json:"why"`
}

// Explanation is every entry that matched an image, which one decided and why the
// others did not.
type Explanation struct {
	Decision   Decision    `json:"decision"`
	Exceptions []Candidate `json:"exceptions,omitempty"`
	Rules      []Candidate `json:"rules"` // matching rules in file order, then default
	Pins       []Candidate `json:"pins,omitempty"`
}

// Evaluate decides about one image use at a time (exceptions expire; the trust layer
// should verify at the same time).
func (p *Policy) Evaluate(f Facts, at time.Time) Decision {
	return p.Explain(f, at).Decision
}

// Explain evaluates an image use and says how the decision came about.
func (p *Policy) Explain(f Facts, at time.Time) Explanation {
	img := f.Image
	var x Explanation
	d := Decision{Image: img, Source: f.Source, Digest: img.Digest}
	if f.Release != nil {
		d.Digest = f.Release.Digest
	}

	excPattern := func(i int) *Pattern { return p.exceptions[i].pattern }
	excLabel := func(i int) string { return p.exceptions[i].label }
	var live, expired []int
	for _, i := range matching(len(p.exceptions), excPattern, img) {
		if at.Before(p.exceptions[i].expires) {
			live = append(live, i)
		} else {
			expired = append(expired, i)
		}
	}
	exc, excs := rank(live, excPattern, excLabel)
	x.Exceptions = excs
	if lastExpired, cands := rank(expired, excPattern, excLabel); lastExpired >= 0 {
		for i := range cands {
			cands[i].Won = false
			cands[i].Why = "expired after " + p.exceptions[expired[i]].day
		}
		x.Exceptions = append(x.Exceptions, cands...)
		if exc < 0 {
			d.ExpiredException = excLabel(lastExpired)
		}
	}

	rulePattern := func(i int) *Pattern { return p.rules[i].pattern }
	ruleLabel := func(i int) string { return p.rules[i].label }
	win, rules := rank(matching(len(p.rules), rulePattern, img), rulePattern, ruleLabel)
	r := p.def
	if win >= 0 {
		r = p.rules[win]
		rules = append(rules, Candidate{Label: "default", Why: "not used: a rule matches"})
	} else {
		rules = append(rules, Candidate{Label: "default", Won: true, Why: "no rule matches"})
	}
	x.Rules = rules

	pinPattern := func(i int) *Pattern { return p.pins[i].pattern }
	_, x.Pins = rank(matching(len(p.pins), pinPattern, Image{Repo: img.Repo}), pinPattern, func(i int) string { return p.pins[i].Label })

	if exc >= 0 {
		e := p.exceptions[exc]
		for i := range x.Rules {
			if x.Rules[i].Won {
				x.Rules[i].Won = false
				x.Rules[i].Why = "overridden by " + e.label
			}
		}
		d.Result, d.Rule, d.Code = Exception, e.label, CodeException
		d.Reason = fmt.Sprintf("%s (exception until %s)", e.reason, e.day)
		x.Decision = d
		return x
	}
	d.Rule = r.label
	p.apply(r, f, &d, at)
	x.Decision = d
	return x
}

// matching returns the indexes of the n patterns that match img.
func matching(n int, pattern func(int) *Pattern, img Image) []int {
	var out []int
	for i := range n {
		if pattern(i).Match(img) {
			out = append(out, i)
		}
	}
	return out
}

// rank picks the most specific of the entries idx, the first listed on ties, and
// explains the choice; winner is -1 when idx is empty.
func rank(idx []int, pattern func(int) *Pattern, label func(int) string) (winner int, cands []Candidate) {
	winner = -1
	for _, i := range idx {
		if winner < 0 || pattern(i).Specificity().Compare(pattern(winner).Specificity()) > 0 {
			winner = i
		}
	}
	for _, i := range idx {
		c := Candidate{Label: label(i), Pattern: pattern(i).Normalized(), Specificity: pattern(i).Specificity(), Won: i == winner, Why: "most specific match"}
		if i != winner {
			c.Why = "lost to " + label(winner) + ": " + c.Specificity.versus(pattern(winner).Specificity())
		}
		cands = append(cands, c)
	}
	return winner, cands
}

// apply evaluates rule r; warn mode turns failures into warnings.
func (p *Policy) apply(r *rule, f Facts, d *Decision, at time.Time) {
	switch r.require {
	case RequireNone:
		d.Result, d.Reason, d.Code = Pass, "no signature required", CodeNoneRequired
	case RequireDeny:
		d.Result, d.Reason, d.Code = Fail, "denied by policy", CodeDenied
	default:
		p.verify(r, f, d, at)
	}
	if r.warn && (d.Result == Fail || d.Result == TrustError) {
		d.Result = Warn
		d.Reason += " (rule in warn mode)"
	}
}

// verify checks a signed or teams requirement over the signature sources the policy
// lists: Notary v1 (while it counts) first, then the evidence migrate kept of it, then
// cosign.
func (p *Policy) verify(r *rule, f Facts, d *Decision, at time.Time) {
	useNotary := p.NotaryCounts(at)
	useCosign := p.sources.Cosign
	useEvidence := p.sources.Evidence
	if useEvidence && f.Evidence.Problem != "" {
		// Altered evidence in the trust dir is refused whatever else signed the image.
		d.Result, d.Reason, d.Code = TrustError, "evidence: "+f.Evidence.Problem, CodeEvidence
		return
	}
	var warnings []string
	if t := f.Trust; useNotary && t != nil {
		switch {
		case (useCosign || useEvidence) && t.Kind == TrustMissing:
			// No Notary v1 data at all: the other sources decide.
			useNotary = false
		case t.Kind != TrustExpired || p.expired != ActionWarn:
			d.Result, d.Reason, d.Code = TrustError, fmt.Sprintf("trust data %s: %s", t.Kind, t.Reason), CodeTrustData
			return
		default:
			warnings = append(warnings, "trust data expired: "+t.Reason)
		}
	}
	if _, pinned := p.PinFor(f.Image.Repo); useNotary && !pinned {
		if p.onUnpinned == ActionDeny {
			d.Result, d.Reason, d.Code = Fail, "no trust pin covers "+f.Image.Repo+" and trust.on_unpinned is deny", CodeUnpinned
			return
		}
		warnings = append(warnings, "root not pinned (trust on first use)")
	}
	var digest, what, fail string
	var code Code
	byCosign, byEvidence := false, false
	var fails []string // what the sources tried before the deciding one refused
	if useNotary {
		digest, what, code, fail = released(f)
		// A tag Notary v1 releases is bound by it; the other sources only answer for what
		// it left open.
		if fail != "" && (useCosign || useEvidence) && code != CodeDigestMismatch {
			useNotary, warnings, fails = false, nil, append(fails, fail)
		}
	}
	if !useNotary && useEvidence {
		digest, what, code, fail = evidenceReleased(f)
		switch {
		case fail == "":
			byEvidence = true
			if _, pinned := p.PinFor(f.Image.Repo); !pinned {
				if p.onUnpinned == ActionDeny {
					d.Result, d.Reason, d.Code = Fail, "no trust pin covers "+f.Image.Repo+" (the evidence's root) and trust.on_unpinned is deny", CodeUnpinned
					return
				}
				warnings = append(warnings, "root not pinned (the evidence's own root trusted)")
			}
		case useCosign:
			fails = append(fails, fail)
		}
	}
	if !useNotary && !byEvidence && (useCosign || !useEvidence) {
		var trouble bool
		digest, what, code, fail, trouble = p.cosignReleased(f)
		byCosign = true
		if len(fails) > 0 && fail != "" {
			fail = strings.Join(append(fails, fail), "; ")
		}
		if trouble {
			d.Result, d.Reason, d.Code = TrustError, fail, CodeTrustData
			return
		}
	} else if fail != "" && len(fails) > 0 {
		fail = strings.Join(append(fails, fail), "; ")
	}
	if fail != "" {
		if p.sources.Notary && !p.NotaryCounts(at) && f.Release != nil {
			fail += "; Notary v1 signatures count only as evidence after " + p.notaryDay
		}
		d.Result, d.Reason, d.Code = Fail, fail, code
		return
	}
	d.Digest = digest
	if r.require == RequireTeams {
		signed, fail, refused := p.teamsSigned(r.teams, f, digest, what, useNotary)
		if refused != "" {
			// The team may well have signed: a trust data error, not a missing signature.
			d.Result, d.Reason, d.Code = TrustError, refused, CodeTrustData
			return
		}
		if fail != "" {
			d.Result, d.Reason, d.Code = Fail, fail, CodeTeamsMissing
			return
		}
		d.SignedBy = signed
		what += ", signed by " + plural(len(signed), "team") + " " + strings.Join(signed, ", ")
	} else {
		if useNotary {
			d.SignedBy = signers(f, digest)
		}
		if useEvidence {
			d.SignedBy = append(d.SignedBy, evidenceSigners(p.evidenceAccepted(f, digest))...)
		}
		if useCosign {
			d.SignedBy = append(d.SignedBy, p.cosignSigners(p.cosignAccepted(f, digest))...)
		}
		if byCosign || byEvidence {
			what += ", signed by " + strings.Join(d.SignedBy, ", ")
		}
	}
	d.Result, d.Reason, d.Code = Pass, what, CodeSigned
	if len(warnings) > 0 {
		d.Result = Warn
		d.Reason += "; " + strings.Join(warnings, "; ")
	}
}

// evidenceReleased resolves the reference with migrate's evidence alone, as docker
// resolved it then: the digest is the pinned one, else the digest the registry served
// for the tag when fetch ran, and a release role (targets/releases or targets) must
// have listed the tag with it. (verify refused altered evidence before.)
func evidenceReleased(f Facts) (digest, what string, code Code, fail string) {
	img := f.Image
	ev := f.Evidence
	digest = img.Digest
	if digest == "" {
		digest = ev.TagDigest
	}
	if digest == "" {
		if img.Tag == "" {
			return "", "", CodeUnsigned, "reference has neither tag nor digest"
		}
		return "", "", CodeUnsigned, fmt.Sprintf("tag %s has no registry digest in the trust dir (trustctl fetch --evidence records it)", img.Tag)
	}
	for _, role := range []string{"targets/releases", "targets"} {
		for _, c := range ev.Claims {
			if c.Digest != digest || c.Role != role || img.Tag != "" && c.Tag != img.Tag {
				continue
			}
			day := c.Migrated.UTC().Format(time.DateOnly)
			if img.Tag != "" {
				return digest, fmt.Sprintf("tag %s was signed with %s in %s (evidence %s)", img.Tag, short(digest), role, day), "", ""
			}
			return digest, fmt.Sprintf("digest %s was signed as tag %s in %s (evidence %s)", short(digest), c.Tag, role, day), "", ""
		}
	}
	if img.Tag != "" {
		return "", "", CodeUnsigned, fmt.Sprintf("no evidence that tag %s was signed with %s in targets/releases or targets", img.Tag, short(digest))
	}
	return "", "", CodeUnsigned, fmt.Sprintf("no evidence that digest %s was signed as a tag in targets/releases or targets", short(digest))
}

// evidenceAccepted are the evidence claims that count for the reference at digest:
// the tag's (any tag's, for a digest-only reference), oldest first.
func (p *Policy) evidenceAccepted(f Facts, digest string) []EvidenceClaim {
	if !p.sources.Evidence {
		return nil
	}
	var out []EvidenceClaim
	for _, c := range f.Evidence.Claims {
		if c.Digest == digest && (f.Image.Tag == "" || c.Tag == f.Image.Tag) {
			out = append(out, c)
		}
	}
	return out
}

// evidenceSigners names the roles of claims, "targets/qa (evidence 2026-12-06)", each
// once, in the order given.
func evidenceSigners(claims []EvidenceClaim) []string {
	var out []string
	for _, c := range claims {
		if s := c.Role + " (" + evidenceLabel(c) + ")"; !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func evidenceLabel(c EvidenceClaim) string {
	return "evidence " + c.Migrated.UTC().Format(time.DateOnly)
}

// cosignReleased resolves the reference with cosign alone: the digest is the pinned
// one, else the digest the registry served for the tag when fetch ran; a signature by a
// policy key over it must bind the tag (trust.tag_binding). trouble is set when the
// cached cosign data could not be read and nothing else signed.
func (p *Policy) cosignReleased(f Facts) (digest, what string, code Code, fail string, trouble bool) {
	img := f.Image
	digest = img.Digest
	if digest == "" {
		digest = f.Cosign.TagDigest
	}
	if digest == "" {
		if f.Cosign.Problem != "" {
			return "", "", CodeTrustData, "cosign data: " + f.Cosign.Problem, true
		}
		if img.Tag == "" {
			return "", "", CodeUnsigned, "reference has neither tag nor digest", false
		}
		return "", "", CodeUnsigned, fmt.Sprintf("tag %s has no Notary v1 release and no registry digest in the trust dir (trustctl fetch --policy with cosign in trust.sources records it)", img.Tag), false
	}
	ok, other, unbound := p.cosignSignatures(f, digest)
	switch {
	case len(ok) > 0:
	case other != nil:
		return "", "", CodeTagMismatch, fmt.Sprintf("cosign signature by %s on %s names %s, not %s",
			strings.Join(p.cosignSigners([]CosignSignature{*other}), ", "), short(digest), other.SignedFor, img.nameForBinding()), false
	case unbound != nil:
		named := unbound.SignedFor
		if named == "" {
			named = "no name"
		}
		return "", "", CodeTagUnbound, fmt.Sprintf("cosign signature by %s on %s names the repository only (%s), not tag %s; trust.tag_binding is required",
			strings.Join(p.cosignSigners([]CosignSignature{*unbound}), ", "), short(digest), named, img.Tag), false
	case f.Cosign.Problem != "":
		return "", "", CodeTrustData, "cosign data: " + f.Cosign.Problem, true
	default:
		return "", "", CodeUnsigned, fmt.Sprintf("%s: no cosign signature by a policy key on %s", img.nameForBinding(), short(digest)), false
	}
	if img.Tag != "" {
		return digest, fmt.Sprintf("tag %s is signed with %s", img.Tag, short(digest)), "", "", false
	}
	return digest, fmt.Sprintf("digest %s is signed", short(digest)), "", "", false
}

// nameForBinding is the name a signature must bind: repo:tag, or the repository of a
// digest-only reference.
func (i Image) nameForBinding() string {
	if i.Tag != "" {
		return i.Repo + ":" + i.Tag
	}
	return i.Repo
}

// cosignSignatures splits the verified cosign signatures over digest into those whose
// signed name binds the reference as trust.tag_binding asks, and the first that names
// another tag or image, and the first that names the repository only.
func (p *Policy) cosignSignatures(f Facts, digest string) (ok []CosignSignature, other, unbound *CosignSignature) {
	for _, s := range f.Cosign.Signatures {
		if s.Digest != digest || len(s.KeyIDs) == 0 {
			continue
		}
		switch {
		case s.Binding == BindsTag,
			s.Binding == BindsRepository && (f.Image.Tag == "" || p.tagBinding == TagBindingDigest):
			ok = append(ok, s)
		case s.Binding == BindsRepository:
			if unbound == nil {
				unbound = &s
			}
		default:
			if other == nil {
				other = &s
			}
		}
	}
	return ok, other, unbound
}

// cosignAccepted are the cosign signatures that count for the reference at digest.
func (p *Policy) cosignAccepted(f Facts, digest string) []CosignSignature {
	if !p.sources.Cosign {
		return nil
	}
	ok, _, _ := p.cosignSignatures(f, digest)
	return ok
}

// cosignSigners names the teams whose keys made sigs, "qa (cosign)", sorted.
func (p *Policy) cosignSigners(sigs []CosignSignature) []string {
	var out []string
	for name, t := range p.teams {
		if slices.ContainsFunc(sigs, t.signsCosign) {
			out = append(out, name+" (cosign)")
		}
	}
	slices.Sort(out)
	return out
}

// released resolves the reference as docker does, with no shortcut for a pinned
// digest: the digest must be a released signed one. what describes the release.
func released(f Facts) (digest, what string, code Code, fail string) {
	img := f.Image
	switch {
	case img.Tag != "":
		rel := f.Release
		if s := f.Shadowed; rel == nil && s != nil {
			return "", "", CodeShadowed, fmt.Sprintf("tag %s is held first by %s (%s), which docker does not pull from: docker refuses it",
				img.Tag, s.Role, short(s.Digest))
		}
		if rel == nil {
			return "", "", CodeUnsigned, fmt.Sprintf("tag %s is not signed in targets/releases or targets", img.Tag)
		}
		if img.Digest != "" && rel.Digest != img.Digest {
			return "", "", CodeDigestMismatch, fmt.Sprintf("tag %s is signed with %s, image pins %s", img.Tag, short(rel.Digest), short(img.Digest))
		}
		return rel.Digest, fmt.Sprintf("tag %s is signed with %s in %s", img.Tag, short(rel.Digest), rel.Role), "", ""
	case img.Digest != "":
		var tags []string
		for _, t := range f.ReleasedTags {
			if t.Digest == img.Digest {
				tags = append(tags, t.Tag)
			}
		}
		if len(tags) == 0 {
			return "", "", CodeUnsigned, fmt.Sprintf("digest %s is not the signed digest of any tag", short(img.Digest))
		}
		return img.Digest, fmt.Sprintf("digest %s is signed as tag %s", short(img.Digest), strings.Join(tags, ", ")), "", ""
	}
	return "", "", CodeUnsigned, "reference has neither tag nor digest"
}

// signers are the release roles and the verified roles that hold digest.
func signers(f Facts, digest string) []string {
	var roles []string
	add := func(role string) {
		if role != "" && !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	if f.Release != nil {
		add(f.Release.Role)
	}
	for _, t := range f.ReleasedTags {
		if t.Digest == digest {
			add(t.Role)
		}
	}
	for _, rs := range f.Roles {
		if rs.Verified && rs.Digest == digest {
			add(rs.Role)
		}
	}
	return roles
}

// teamsSigned checks that every team signed digest: one of its roles holds it, or a
// member's key signed a role that holds it; only verified roles count. refused names the
// first team that has not signed while a role of it was refused, and why.
func (p *Policy) teamsSigned(teams []string, f Facts, digest, what string, useNotary bool) (signed []string, fail, refused string) {
	var problems []string
	roles := f.Roles
	if !useNotary {
		roles = nil
	}
	cosigned := p.cosignAccepted(f, digest)
	evidence := p.evidenceAccepted(f, digest)
	for _, name := range teams {
		t := p.teams[name]
		ok := false
		var others []string
		for _, rs := range roles {
			if !t.signs(rs) {
				continue
			}
			if rs.Digest == digest {
				ok = true
			} else if !slices.Contains(others, short(rs.Digest)) {
				others = append(others, short(rs.Digest))
			}
		}
		switch {
		case ok:
			signed = append(signed, name)
			continue
		case slices.ContainsFunc(evidence, t.signsEvidence):
			signed = append(signed, name+" ("+evidenceLabel(evidence[slices.IndexFunc(evidence, t.signsEvidence)])+")")
			continue
		case slices.ContainsFunc(cosigned, t.signsCosign):
			signed = append(signed, name+" (cosign)")
			continue
		case len(others) > 0:
			problems = append(problems, fmt.Sprintf("team %s signed %s instead", name, strings.Join(others, ", ")))
		default:
			problems = append(problems, fmt.Sprintf("team %s has not signed it", name))
		}
		if refused == "" {
			if i := slices.IndexFunc(roles, t.refused); i >= 0 {
				refused = fmt.Sprintf("team %s: role %s was refused: %s", name, roles[i].Role, roles[i].Problem)
			}
		}
	}
	if len(problems) > 0 {
		return nil, what + ": " + strings.Join(problems, "; "), refused
	}
	return signed, "", ""
}

// refused tells whether rs is a role of the team whose metadata was refused.
func (t *team) refused(rs RoleSignature) bool {
	return !rs.Verified && rs.Problem != "" && (slices.Contains(t.roles, rs.Role) ||
		slices.ContainsFunc(rs.KeyIDs, func(id string) bool { return t.keyIDs[strings.ToLower(id)] }))
}

// signsEvidence tells whether the team's role or a member's key signed the claimed
// role's file.
func (t *team) signsEvidence(c EvidenceClaim) bool {
	return t.signs(RoleSignature{Role: c.Role, Tag: c.Tag, Digest: c.Digest, Verified: true, KeyIDs: c.KeyIDs})
}

// signsCosign tells whether a key of the team verified s.
func (t *team) signsCosign(s CosignSignature) bool {
	return slices.ContainsFunc(s.KeyIDs, func(id string) bool { return t.keyIDs[strings.ToLower(id)] })
}

func (t *team) signs(rs RoleSignature) bool {
	if !rs.Verified {
		return false
	}
	if slices.Contains(t.roles, rs.Role) {
		return true
	}
	return slices.ContainsFunc(rs.KeyIDs, func(id string) bool { return t.keyIDs[strings.ToLower(id)] })
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// short abbreviates a digest for one-line reasons.
func short(digest string) string {
	const keep = len("sha256:") + 12
	if len(digest) <= keep {
		return digest
	}
	return digest[:keep] + "…"
}

// Summary counts decisions by result.
type Summary struct {
	Passed, Failed, Warned, Excepted, TrustErrors int
	// ExpiredExceptions counts decisions where an expired exception matched.
	ExpiredExceptions int
}

// Summarize counts decisions.
func Summarize(ds []Decision) Summary {
	var s Summary
	for _, d := range ds {
		switch d.Result {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		case Warn:
			s.Warned++
		case Exception:
			s.Excepted++
		case TrustError:
			s.TrustErrors++
		}
		if d.ExpiredException != "" {
			s.ExpiredExceptions++
		}
	}
	return s
}

// Worst is the worst result of ds (Pass for none): its ExitCode is the exit code.
func Worst(ds []Decision) Result {
	w := Pass
	for _, d := range ds {
		w = max(w, d.Result)
	}
	return w
}
