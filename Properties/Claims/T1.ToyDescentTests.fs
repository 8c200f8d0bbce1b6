/// Adding a claim (docs/adding-a-claim.md), proved: a toy claim T1 defined here through the core's public API
/// alone (a `ClaimDefinition`: its check, its negative control, its non-triviality criterion) runs in verify's
/// core (`Verify.run`) and shows in verify's claims and controls tables (`ClaimsReport`, the runner's
/// rendering), with its verdict and its control, like C1–C7.
namespace LowRankVerify.Properties

open Xunit
open Xunit.Abstractions
open LowRankVerify.Theory
open LowRankVerify.Runner.Reports

/// The toy claim T1, written as a file of Claims/ would be: one gradient-descent step with a small η does not
/// increase L_λ (the descent lemma, to first order); its negative control takes η = 100.
[<RequireQualifiedAccess>]
module T1 =

    /// T1's ID.
    let id = ClaimId "T1"

    /// The "small" η of a case (a choice): 10⁻³ over (1 + ‖θ‖²)^{L−1}·(1 + max|A*|)², the scale of L_λ's
    /// curvature at θ.
    let smallEta (c: ClosureCase) =
        1e-3
        / ((1.0 + Network.squaredNorm c.Point) ** float (c.Depth - 1)
           * (1.0 + Linalg.maxAbs c.Task.Target) ** 2.0)

    /// The control's η.
    [<Literal>]
    let largeEta = 100.0

    /// One GD step with `eta` from the case's point: (L_λ(θ⁺) − L_λ(θ), the round-off bound of that difference,
    /// the first-order decrease η‖∇L_λ‖²). The bound: γ_m times the two losses and the squared scale of a
    /// residual, max|A*| + Π‖W_ℓ‖_F (m = L·(max width + 2) + N, `Tolerance.gamma`).
    let step (eta: float) (c: ClosureCase) =
        let l0 = Loss.loss c.Task c.Hyper.Lambda c.Point
        let g = Loss.gradient c.Task c.Hyper.Lambda c.Point

        let l1 =
            Loss.loss c.Task c.Hyper.Lambda (Gd.step { c.Hyper with Eta = eta } c.Task c.Point)

        let p = Network.layerSquaredNorms c.Point |> Array.fold (fun a x -> a * sqrt x) 1.0

        let m = c.Depth * (Array.max (Network.widths c.Point) + 2) + c.Task.N

        l1 - l0,
        Tolerance.gamma m * (l0 + l1 + (Linalg.maxAbs c.Task.Target + p) ** 2.0),
        eta * Loss.gradientNorm g ** 2.0

    /// T1's non-triviality criterion, one sentence.
    [<Literal>]
    let criterion =
        "the first-order decrease eta ||grad L_lambda||^2 exceeds 10 times the round-off bound of the loss difference (a step that moves the loss visibly)"

    /// The case of stream i: C1's cases (`ClaimCases.randomClosureCase`, seed ^ 0x71).
    let case (budget: CheckBudget) (i: int) =
        fst (ClaimCases.randomClosureCase (budget.Seed ^^^ 0x71UL) i)

    /// T1 on `budget.Cases` cases with the step `eta` gives (`smallEta` for the claim).
    let checkWith (eta: ClosureCase -> float) (budget: CheckBudget) (progress: string -> unit) : CheckResult =
        let results =
            [
                for i in 0 .. budget.Cases - 1 ->
                    let c = case budget i
                    let increase, bound, decrease = step (eta c) c
                    i, increase, bound, decrease > 10.0 * bound
            ]

        let nonTrivial = results |> List.filter (fun (_, _, _, n) -> n) |> List.length
        progress (sprintf "T1: %d cases, %d non-trivial" results.Length nonTrivial)

        {
            Statement = "one gradient-descent step with a small eta does not increase L_lambda (T1.smallEta)"
            Verdict = Check.claimVerdict (results |> List.map (fun (_, v, b, _) -> Verdict.ofViolation v b))
            CasesTried = results.Length
            NonTrivialCases = nonTrivial
            BoundaryCoverage = ""
            Cases = []
            Counterexamples =
                [
                    for i, v, b, _ in results do
                        if v > 0.0 then
                            yield
                                {
                                    Claim = id
                                    Description = sprintf "case %d: the loss rose by %.3g" i v
                                    Violation = v
                                    Bound = b
                                    Status = Verdict.ofViolation v b
                                    Replay = Check.replay id budget (Some i)
                                }
                ]
        }

    /// T1's negative control: with η = 100 some step increases the loss beyond round-off.
    let controls: (CheckBudget -> (string -> unit) -> ControlOutcome) list =
        [
            fun budget ->
                Check.control "T1 with eta = 100" id budget.Cases (fun i ->
                    let increase, bound, _ = step largeEta (case budget i)

                    if increase > bound then
                        Some(sprintf "case %d: the loss rose by %.3g (bound %.3g)" i increase bound)
                    else
                        None)
        ]

    /// T1 in a registry.
    let definition: ClaimDefinition =
        {
            Id = id
            Name = "GD descent (toy)"
            Criterion = criterion
            Exploratory = false
            Required = Required.Cases
            Check = checkWith smallEta
            Controls = controls
            Hunter = None
        }

type ToyClaimTests(output: ITestOutputHelper) =

    let budget =
        {
            Cases = 200
            Seed = Harness.ciSeed
            SimulationSteps = 1000L
            MinNonTrivial = 50
            MinNonTrivialRuns = 2
        }

    /// verify's claims and controls tables (the runner's `ClaimsReport`) of a registry's outcome, as Markdown.
    let tables (o: VerifyOutcome) =
        let doc = Document "toy"
        ClaimsReport.AddSection(doc, o.Claims, o.Controls, budget, "quick", o.Exploratory)
        doc.ToMarkdown()

    [<Fact>]
    member _.``adding a claim: a toy claim registered through the public API shows in verify's claims table with its control (control: its check with the large eta is a counterexample there)``
        ()
        =
        let registry = Claims.all @ [ T1.definition ]
        Assert.Equal(T1.definition.Id, (List.last registry).Id)
        Assert.Equal(1, registry |> List.filter (fun d -> d.Id = T1.id) |> List.length)

        // verify's core on a registry holding the toy alone (C1–C7 take minutes)
        let o =
            Verify.run [ T1.definition ] budget (fun id line -> output.WriteLine(sprintf "[%s] %s" id.Text line))

        let claim = Assert.Single o.Claims
        Assert.Equal(T1.id, claim.Claim)
        Assert.Equal(Verdict.Holds, claim.Verdict)
        Assert.True(claim.NonTrivialCases >= budget.MinNonTrivial, sprintf "%d non-trivial" claim.NonTrivialCases)
        let control = Assert.Single o.Controls
        Assert.Equal(T1.id, control.Claim)
        Assert.True(control.FailedAsExpected, "the control with eta = 100 fails")
        Assert.True(Verify.passed o)

        let md = tables o
        output.WriteLine md
        Assert.Contains("| T1 | GD descent (toy) | holds | 200 |", md)
        Assert.Contains("| T1 with eta = 100 | T1 | yes |", md)

        Assert.Contains(
            "\"claim\": \"T1\"",
            ReportWriter.ToJson(ClaimsReport.Json(o.Claims, o.Controls, "quick", o.Exploratory))
        )

        // the control: the same claim checked with the control's eta is a counterexample in the table, and the
        // replay of its first counterexample points at the case
        let broken =
            Verify.run
                [
                    { T1.definition with
                        Check = T1.checkWith (fun _ -> T1.largeEta)
                    }
                ]
                budget
                (fun _ _ -> ())

        Assert.Equal(Verdict.Counterexample, broken.Claims.[0].Verdict)
        Assert.False(Verify.passed broken)
        let bmd = tables broken
        Assert.Contains("| T1 | GD descent (toy) | counterexample | 200 |", bmd)
        Assert.Contains("verify --seed 20240516 --cases-out DIR (T1.jsonl, case", bmd)
