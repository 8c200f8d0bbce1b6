/// The steps' round-off bound (`Region.stepRoundOff`, used by C1, C3 and C4 to tell a counterexample from
/// round-off) against exact arithmetic: one SGD step of the reference (`Sgd.step`) and of the engine
/// (`Engine.step`) is recomputed exactly in dyadic rationals from the same double inputs.
namespace LowRankVerify.Properties

open System
open System.Numerics
open Xunit
open Xunit.Abstractions
open FsCheck.FSharp
open LowRankVerify.Theory

/// An exact dyadic rational M · 2^E. Every finite double is one, and +, −, × of dyadics are exact, so a
/// step computed with them is the exact step of the doubles it starts from.
[<Struct>]
type Dyadic =
    {
        /// Integer mantissa.
        M: BigInteger
        /// Binary exponent.
        E: int
    }

/// Exact arithmetic on `Dyadic`.
[<RequireQualifiedAccess>]
module Dyadic =

    /// Zero.
    let zero = { M = BigInteger.Zero; E = 0 }

    /// The exact value of a finite double: x · 2^(52 − ilogb x) is an integer (scaling by a power of two is
    /// exact here: the result is a 53-bit integer).
    let ofFloat (x: float) =
        if x = 0.0 then
            zero
        else
            let shift = 52 - Math.ILogB x

            {
                M = BigInteger(Math.ScaleB(x, shift))
                E = -shift
            }

    /// Exact sum.
    let add (a: Dyadic) (b: Dyadic) =
        if a.M.IsZero then
            b
        elif b.M.IsZero then
            a
        elif a.E <= b.E then
            {
                M = a.M + (b.M <<< (b.E - a.E))
                E = a.E
            }
        else
            {
                M = b.M + (a.M <<< (a.E - b.E))
                E = b.E
            }

    /// Exact product.
    let mul (a: Dyadic) (b: Dyadic) = { M = a.M * b.M; E = a.E + b.E }

    /// Exact negation.
    let neg (a: Dyadic) = { a with M = -a.M }

    /// The nearest double, to within a relative 2^-60 (the mantissa is cut to 62 bits before converting).
    let toFloat (a: Dyadic) =
        if a.M.IsZero then
            0.0
        else
            let bits = int (BigInteger.Abs(a.M).GetBitLength())
            let cut = max 0 (bits - 62)
            Math.ScaleB(float (a.M >>> cut), a.E + cut)

/// `Region.stepRoundOff` bounds the distance between a computed step and the exact one.
type RoundOffTests(output: ITestOutputHelper) =

    /// Cases per property (each step is recomputed in exact big-integer arithmetic).
    static let cases = 300

    /// The exact single-entry SGD step of THEORY.md §1 from the doubles of `net`, η, λ and the target:
    /// W_ℓ⁺ = (1 − 2ηλ)W_ℓ + η r a_ℓ b_ℓᵀ (`Sgd.stepWithDecay`), every operation exact.
    static let exactStep (hyper: Hyper) (task: Task) (net: Network) (i: int, j: int) : Dyadic[,][] =
        let depth = net.Depth

        let w =
            net.W
            |> Array.map (fun m -> Array2D.init m.RowCount m.ColumnCount (fun r c -> Dyadic.ofFloat m.[r, c]))

        let matVec (m: Dyadic[,]) (v: Dyadic[]) =
            Array.init (Array2D.length1 m) (fun r ->
                Seq.fold (fun acc c -> Dyadic.add acc (Dyadic.mul m.[r, c] v.[c])) Dyadic.zero [ 0 .. v.Length - 1 ])

        let matTVec (m: Dyadic[,]) (v: Dyadic[]) =
            Array.init (Array2D.length2 m) (fun c ->
                Seq.fold (fun acc r -> Dyadic.add acc (Dyadic.mul m.[r, c] v.[r])) Dyadic.zero [ 0 .. v.Length - 1 ])

        let unit n k =
            Array.init n (fun x -> if x = k then Dyadic.ofFloat 1.0 else Dyadic.zero)

        let b = Array.zeroCreate depth
        b.[0] <- unit net.W.[0].ColumnCount j

        for l in 1 .. depth - 1 do
            b.[l] <- matVec w.[l - 1] b.[l - 1]

        let a = Array.zeroCreate depth
        a.[depth - 1] <- unit net.W.[depth - 1].RowCount i

        for l in depth - 2 .. -1 .. 0 do
            a.[l] <- matTVec w.[l + 1] a.[l + 1]

        let aij = (matVec w.[depth - 1] b.[depth - 1]).[i]
        let residual = Dyadic.add (Dyadic.ofFloat task.Target.[i, j]) (Dyadic.neg aij)
        let eta = Dyadic.ofFloat hyper.Eta
        let two = Dyadic.ofFloat 2.0

        let decay =
            Dyadic.add (Dyadic.ofFloat 1.0) (Dyadic.neg (Dyadic.mul (Dyadic.mul two eta) (Dyadic.ofFloat hyper.Lambda)))

        let er = Dyadic.mul eta residual

        Array.init depth (fun l ->
            Array2D.init (Array2D.length1 w.[l]) (Array2D.length2 w.[l]) (fun r c ->
                Dyadic.add (Dyadic.mul decay w.[l].[r, c]) (Dyadic.mul er (Dyadic.mul a.[l].[r] b.[l].[c]))))

    /// Per layer (error ‖computed − exact‖_F, bound) for one step of `stepper` at a drawn observed entry.
    static let errors
        (bound: Hyper -> Network -> Network -> float[])
        (stepper: Hyper -> Task -> Network -> int * int -> Network)
        (c: Case)
        =
        let task = Gens.task c
        let net = Gens.network c
        let hyper = Gens.hyper c
        let mutable r = Gens.rng c 3
        let entry = task.Observed.[Rng.nextInt &r task.Observed.Length]
        let next = stepper hyper task net entry
        let exact = exactStep hyper task net entry
        let b = bound hyper net next

        Array.init net.Depth (fun l ->
            let mutable s = 0.0

            for row in 0 .. next.W.[l].RowCount - 1 do
                for col in 0 .. next.W.[l].ColumnCount - 1 do
                    let d =
                        Dyadic.add (Dyadic.ofFloat next.W.[l].[row, col]) (Dyadic.neg exact.[l].[row, col])

                    let x = Dyadic.toFloat d
                    s <- s + x * x

            sqrt s, b.[l])

    static let engineStep (hyper: Hyper) (task: Task) (net: Network) (i: int, j: int) =
        let s = Engine.create task net
        Engine.step s hyper i j |> ignore
        Engine.toNetwork s

    static let stepBound (hyper: Hyper) (net: Network) (next: Network) =
        Region.stepRoundOff [||] 1L (2.0 * hyper.Eta * hyper.Lambda) net next

    let check name stepper bound =
        let worst = Worst()

        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                errors bound stepper c |> Array.forall (fun (e, t) -> worst.Record(e, t)))

        Harness.check name cases prop |> ignore
        output.WriteLine(worst.Summary name)

    let control name stepper bound =
        let prop =
            Prop.forAll (Gens.arbCase Gens.general) (fun c ->
                errors bound stepper c |> Array.forall (fun (e, t) -> e <= t))

        let o = Harness.expectFailure name cases prop
        output.WriteLine(o.Name + ": " + o.Summary)

    [<Fact>]
    member _.``Region.stepRoundOff bounds one reference SGD step's round-off (exact arithmetic)``() =
        check "roundoff.step.reference" Sgd.step stepBound

    [<Fact>]
    member _.``Region.stepRoundOff bounds one engine SGD step's round-off (exact arithmetic)``() =
        check "roundoff.step.engine" engineStep stepBound

    [<Fact>]
    member _.``Region.stepRoundOff control: a zero drift (the step taken as exact) is falsified``() =
        control "roundoff.step.zero" Sgd.step (fun _ net _ -> Array.zeroCreate net.Depth)
