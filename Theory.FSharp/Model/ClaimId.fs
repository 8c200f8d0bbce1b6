namespace LowRankVerify.Theory

/// The stable ID of a claim (THEORY.md §2): "C1" … "C7" for the paper's claims, "C1-E1" for C1's exploratory
/// row at the slides' operating point, and any other short text for a claim registered by a user
/// (docs/adding-a-claim.md). Checks, hunts, reports, case files and tests name a claim by it, never by a bare
/// string. A struct, so that C# compares IDs with `Equals` (its `==` does not compile on it).
[<Struct; StructuredFormatDisplay("{Text}")>]
type ClaimId =
    | ClaimId of string

    /// The ID as reports, JSON and file names write it ("C1", "C1-E1", …).
    member this.Text =
        let (ClaimId s) = this
        s

    override this.ToString() = this.Text

    /// C1 Closure: θ_t ∈ B_r ⇒ θ_{t+1} ∈ B_r.
    static member C1 = ClaimId "C1"

    /// C1 at the slides' operating point (E1's parameters, outside the derived regime): an exploratory row.
    static member C1E1 = ClaimId "C1-E1"

    /// C2 Critical points: Σ_{i ≤ rank A} f_α(s_i(A)^{2/L}) ≤ r + ε2 at critical points in B_r.
    static member C2 = ClaimId "C2"

    /// C3 Reachability: from any θ_t some T has P(θ_{t+T} ∈ B_r) > 0.
    static member C3 = ClaimId "C3"

    /// C4 Absorption: runs that enter B_r never leave it.
    static member C4 = ClaimId "C4"

    /// C5 One-way jumps: SGD jumps from high to low rank, never back.
    static member C5 = ClaimId "C5"

    /// C6 No continuous analogue: GD and the SDE do not reproduce the absorption.
    static member C6 = ClaimId "C6"

    /// C7 Multiple minima: for L ≥ 3 the loss has local minima of different ranks.
    static member C7 = ClaimId "C7"
