namespace LowRankVerify.Theory

/// Summaries of the completion experiment's runs (issue "The ladder B_R ⊃ … ⊃ B_1"): hitting steps per
/// rank level, the summary over the SGD chains (or the SDE twins) and the GD control, and the SGD/GD/SDE
/// comparison read at a common step (C5, C6). Pure: reads finished runs (`CompletionRun`), no engine.
[<RequireQualifiedAccess>]
module CompletionStats =

    /// First step at which a run was at level ρ or below (ρ ≥ 1: and not collapsed; ρ = 0: the collapse).
    let hittingStep (run: CompletionRun) (rho: int) =
        if rho = 0 then
            run.CollapseStep
        else
            run.Hitting |> Array.tryFind (fun (r, _) -> r = rho) |> Option.map snd

    /// Summary over the chains and the control.
    let summarize (p: CompletionParams) (chains: CompletionRun[]) (gd: CompletionRun) : CompletionSummary =
        let n = float chains.Length
        let target, _ = Ladder.targetRank p.Task
        let start = gd.StartLevel

        let frac f =
            float (chains |> Array.filter f |> Array.length) / n

        let mean (xs: float[]) =
            if xs.Length = 0 then None else Some(Array.average xs)

        let levels =
            [|
                for rho in start - 1 .. -1 .. 0 ->
                    let steps =
                        chains
                        |> Array.choose (fun c -> hittingStep c rho)
                        |> Array.map float
                        |> Array.sort

                    let before, after =
                        chains
                        |> Array.collect (fun c ->
                            let h = hittingStep c rho

                            c.Offshoots
                            |> Array.map (fun o ->
                                (match h with
                                 | Some s -> o.BranchStep >= s
                                 | None -> false),
                                o.FinalTestError))
                        |> Array.partition (fst >> not)

                    {
                        Rank = rho
                        FractionReached = float steps.Length / n
                        StepMedian = E1.quantile steps 0.5
                        StepQ1 = E1.quantile steps 0.25
                        StepQ3 = E1.quantile steps 0.75
                        OffshootErrorBefore = mean (Array.map snd before)
                        OffshootErrorAfter = mean (Array.map snd after)
                    }
            |]

        let alive = chains |> Array.filter (fun c -> c.DivergenceStep.IsNone)

        {
            StartLevel = start
            TargetRank = target
            Levels = levels
            TotalDrops = chains |> Array.sumBy (fun c -> c.Drops)
            TotalReturns = chains |> Array.sumBy (fun c -> c.Returns)
            LastReturnStep =
                match chains |> Array.choose (fun c -> c.LastReturnStep) with
                | [||] -> None
                | xs -> Some(Array.max xs)
            FinalRankCounts = alive |> Array.countBy (fun c -> c.FinalLevel) |> Array.sortBy fst
            FractionCollapsed = frac (fun c -> c.CollapseStep.IsSome)
            FractionDiverged = frac (fun c -> c.DivergenceStep.IsSome)
            FractionBelowTarget = frac (fun c -> c.DivergenceStep.IsNone && c.FinalLevel >= 1 && c.FinalLevel < target)
            GdFinalLevel = gd.FinalLevel
            CanFit = Array.min (CompletionTask.widths p.Task p.Depth p.Width) >= target
        }

    /// Level of a run after `step` steps, from its events (the start level before the first).
    let levelAt (run: CompletionRun) (step: int64) =
        run.Events
        |> Array.fold (fun level e -> if e.Step <= step then e.ToRank else level) run.StartLevel

    /// The runs of one kind read at `step` (events up to `step`; a run diverged by then when its divergence
    /// step index is below `step`), for the SGD/GD/SDE comparison.
    let compareAt (p: CompletionParams) (kind: ChainKind) (runs: CompletionRun[]) (step: int64) : KindComparison =
        let target, _ = Ladder.targetRank p.Task

        let upTo (r: CompletionRun) =
            r.Events |> Array.filter (fun e -> e.Step <= step)

        let diverged (r: CompletionRun) =
            match r.DivergenceStep with
            | Some d -> d < step
            | None -> false

        let reached =
            runs
            |> Array.choose (fun r ->
                upTo r
                |> Array.tryFind (fun e -> e.ToRank >= 1 && e.ToRank <= target)
                |> Option.map (fun e -> float e.Step)
                |> Option.orElse (
                    if r.StartLevel >= 1 && r.StartLevel <= target then
                        Some 0.0
                    else
                        None
                ))
            |> Array.sort

        {
            Kind = kind
            Step = step
            Runs = runs.Length
            LevelCounts =
                runs
                |> Array.filter (diverged >> not)
                |> Array.countBy (fun r -> levelAt r step)
                |> Array.sortBy fst
            ReachedTarget = reached.Length
            TargetStepMedian = E1.quantile reached 0.5
            Drops =
                runs
                |> Array.sumBy (fun r ->
                    upTo r
                    |> Array.filter (fun e -> e.ToRank < e.FromRank && e.ToRank >= 1)
                    |> Array.length)
            Returns =
                runs
                |> Array.sumBy (fun r -> upTo r |> Array.filter (fun e -> e.ToRank > e.FromRank) |> Array.length)
            Collapsed =
                runs
                |> Array.filter (fun r -> upTo r |> Array.exists (fun e -> e.ToRank = 0))
                |> Array.length
            Diverged = runs |> Array.filter diverged |> Array.length
            DivergenceMedian =
                E1.quantile
                    (runs
                     |> Array.filter diverged
                     |> Array.map (fun r -> float r.DivergenceStep.Value)
                     |> Array.sort)
                    0.5
        }

    /// The comparison rows: SGD at the SDE twins' horizon (when they run and it is shorter than `Steps`),
    /// SGD at `Steps`, the GD control at `GdSteps`, the SDE twins at `SdeSteps` (when they run).
    let comparison (p: CompletionParams) (chains: CompletionRun[]) (gd: CompletionRun) (sde: CompletionRun[]) =
        [|
            if sde.Length > 0 && p.SdeSteps < p.Steps then
                yield compareAt p ChainKind.Sgd chains p.SdeSteps
            yield compareAt p ChainKind.Sgd chains p.Steps
            yield compareAt p ChainKind.Gd [| gd |] p.GdSteps
            if sde.Length > 0 then
                yield compareAt p ChainKind.Sde sde p.SdeSteps
        |]
