#!/usr/bin/env bash
# Regenerates the committed example reports under reports/ (see reports/README.md).
#
#   scripts/regenerate-examples.sh NAME|all|list
#
# NAME is a folder of reports/README.md's table (e1, explore-e1, explore-4x4, completion-blocks-m4,
# completion-20x20, completion-100x100, sweep-e1-jump-times, sweep-dynamics-map,
# sweep-completion-staircases). Each command is the run's replay line (field "replay" of its
# results.json, or the sweep file beside the report) with --out/--force added, run from a Release build of
# this checkout. report.html is regenerated here and not committed (.gitignore); everything else the run
# writes (report.md, results.json, figures, task.json) is. Wall times (2 shared cores) are in
# reports/README.md: `all` takes about 25 minutes, 12 of them
# the 100x100 completion example.
set -euo pipefail

cd "$(dirname "$0")/.."
lowrank=(dotnet run --project Runner.CSharp -c Release --no-build --)

names=(e1 explore-e1 explore-4x4 completion-blocks-m4 completion-20x20 completion-100x100
       sweep-e1-jump-times sweep-dynamics-map sweep-completion-staircases)

# A sweep example: plan its committed sweep.json into a scratch directory, run every unit here, merge
# into the example's folder (sweep.json stays beside the report).
sweep() {
    local dir="reports/example-sweeps/$1" scratch
    scratch="$(mktemp -d)"
    "${lowrank[@]}" sweep plan "$dir/sweep.json" --out "$scratch/sweep"
    "${lowrank[@]}" sweep local "$scratch/sweep" --parallel 2 --out "$dir" --force --quiet
    rm -rf "$scratch"
}

run() {
    case "$1" in
    e1)
        "${lowrank[@]}" experiment two-by-two --epsilon 0.1 --depth 4 --width 2 --eta 0.5 --lambda 0.02 \
            --steps 3000000 --seeds 16 --seed 1 --offshoots 10 --offshoot-eta 0.05 --offshoot-lambda 5E-05 \
            --offshoot-steps 1000000 --variant-steps 1000000 --variant-seeds 8 \
            --out reports/example --force --quiet ;;
    explore-e1)
        "${lowrank[@]}" explore --claim C1 --dynamics --epsilon 0.1 --depth 4 --etas 1e-12,1,13 --lambdas 0.01,1,5 \
            --evaluations 600 --steps 1000000 --seeds 6 --dyn-etas 0.05,0.1,0.2,0.3,0.5 \
            --dyn-lambdas 0.002,0.006,0.01,0.02,0.03,0.05 --dyn-depths 4,6,8 \
            --out reports/example-explore/e1 --force --quiet ;;
    explore-4x4)
        "${lowrank[@]}" explore --claim C1 --task examples/task-4x4-rank1.json --depth 3 --r 1 \
            --etas 1e-8,1,9 --lambdas 0.01,1,5 \
            --out reports/example-explore/task-4x4-rank1 --force --quiet ;;
    completion-blocks-m4)
        "${lowrank[@]}" experiment completion --family blocks --blocks 4 --epsilon 0.1 --depth 4 --width 8 \
            --init identity --eta 0.5 --lambda 0.005 --steps 10000000 --seeds 16 --seed 1 --offshoots 6 \
            --offshoot-eta 0.05 --offshoot-lambda 1.25E-05 --offshoot-steps 1000000 --gd-steps 1000000 \
            --sde on --sde-steps 625000 --event-interval 4000 --alpha 0.794512429103535 --eps1 1.0099999999999998 --eps2 0.1 \
            --C 50.84879546262624 --f piecewise --engine ensemble \
            --out reports/example-completion/blocks-m4 --force --quiet ;;
    completion-20x20)
        "${lowrank[@]}" experiment completion --family random --size 20 --rank 3 --observed 0.3 --task-seed 1 \
            --depth 3 --width 20 --init identity --eta 0.1 --lambda 0.0007 --steps 10000000 --seeds 16 --seed 1 \
            --offshoots 6 --offshoot-eta 0.01 --offshoot-lambda 1.75E-06 --offshoot-steps 1000000 \
            --gd-steps 10000000 --sde on --sde-steps 2000000 --event-interval 10000 --alpha 1.091062773565176 --eps1 3.543662330321367 \
            --eps2 0.1 --C 80 --f piecewise --engine single \
            --out reports/example-completion/random-20x20-rank3 --force --quiet ;;
    completion-100x100)
        "${lowrank[@]}" experiment completion --family random --size 100 --rank 5 --observed 0.2 --task-seed 1 \
            --depth 3 --width 100 --init identity --eta 0.03 --lambda 0.0001 --steps 3000000 --seeds 3 --seed 1 \
            --offshoots 2 --offshoot-eta 0.003 --offshoot-lambda 2.5E-07 --offshoot-steps 1000000 \
            --gd-steps 1000000 --sde on --sde-steps 100000 --event-interval 50000 --alpha 2.6904928981061795 --eps1 19.750362424804123 \
            --eps2 0.1 --C 400 --f piecewise --engine single \
            --out reports/example-completion/random-100x100-rank5 --force --quiet ;;
    sweep-e1-jump-times) sweep e1-jump-times ;;
    sweep-dynamics-map) sweep dynamics-map ;;
    sweep-completion-staircases) sweep completion-staircases ;;
    *)
        echo "error: unknown example '$1' (one of: ${names[*]}, all, list)" >&2
        exit 2 ;;
    esac
}

if [ $# -ne 1 ]; then
    echo "usage: scripts/regenerate-examples.sh NAME|all|list   (NAME: ${names[*]})" >&2
    exit 2
fi

case "$1" in
list) printf '%s\n' "${names[@]}" ;;
all)
    dotnet build Runner.CSharp -c Release
    for n in "${names[@]}"; do
        echo "== $n"
        start=$SECONDS
        run "$n"
        echo "   $((SECONDS - start)) s"
    done ;;
*)
    dotnet build Runner.CSharp -c Release
    run "$1" ;;
esac
