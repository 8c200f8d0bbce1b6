namespace LowRankVerify.Theory

/// The claim registry: every claim's definition (`ClaimDefinition`: its ID, check, negative controls and hunt
/// objective), in the order of verify's claims table. `lowrank verify` checks them (`Verify.run Claims.all`),
/// `lowrank hunt` hunts those with a hunter, the reports and the tests iterate them. Adding a claim: one file in
/// Claims/ that defines `definition`, one line below, one test file (docs/adding-a-claim.md).
[<RequireQualifiedAccess>]
module Claims =

    /// Every claim of THEORY.md §2, then the exploratory rows.
    let all: ClaimDefinition list =
        [
            C1.definition
            C2.definition
            C3.definition
            C4.definition
            C5.definition
            C6.definition
            C7.definition
            C1E1.definition
        ]

    /// The definition of `id` in `registry`, if any.
    let tryFindIn (registry: ClaimDefinition list) (id: ClaimId) =
        registry |> List.tryFind (fun d -> d.Id = id)

    /// The definition of `id` in `all`; an error naming the known IDs otherwise.
    let find (id: ClaimId) : ClaimDefinition =
        match tryFindIn all id with
        | Some d -> d
        | None ->
            invalidArg
                "id"
                (sprintf "no claim %s (known: %s)" id.Text (all |> List.map (fun d -> d.Id.Text) |> String.concat ", "))

    /// The claims with a hunt objective (not the exploratory rows), in registry order.
    let huntable: ClaimId list =
        all
        |> List.filter (fun d -> d.Hunter.IsSome && not d.Exploratory)
        |> List.map (fun d -> d.Id)

    /// The hunter of claim `id` (one of `huntable`).
    let hunter (id: ClaimId) : Hunter =
        match (find id).Hunter with
        | Some h -> h
        | None -> invalidArg "id" (sprintf "claim %s has no hunt objective" id.Text)

    /// Parses the ID of a claim with a hunt objective ("C1" …, case-insensitive); the error names the field and
    /// the allowed IDs.
    let parseHuntable (field: string) (text: string) : Result<ClaimId, InputError> =
        let t = if isNull text then "" else text.Trim().ToUpperInvariant()

        match huntable |> List.tryFind (fun id -> id.Text = t) with
        | Some id -> Ok id
        | None ->
            Error(
                InputError.create
                    field
                    (sprintf
                        "must be one of %s (the claims with a hunt objective: C5 follows from C1 + C3, C7 is checked exactly by verify), got '%s'"
                        (huntable |> List.map (fun id -> id.Text) |> String.concat ", ")
                        text)
            )
