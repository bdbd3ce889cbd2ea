/// `.neuron` mutants: the example files changed at random (a fixed seed), each run through `snn simulate`
/// in-process (the parser, the simulation and the CLI's error mapping). Every mutant must end within a time
/// limit with exit 0, 1 or 2, never 3, and print no stack trace.
module SnnDsl.Cli.Tests.NeuronMutantTests

open System
open System.IO
open System.Threading.Tasks
open Expecto
open SnnDsl.TestKit
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

/// Mutants per run, and the seed that draws them.
let private count, seed = 300, 27

/// The longest a mutant may take.
let private limit = TimeSpan.FromSeconds 20.0

let private examples = Directory.GetFiles(SnnDsl.TestKit.Repo.examples, "*.neuron") |> Array.sort

// What a mutation may insert: the language's own tokens and characters, and a few strangers.
let private tokens =
    [| "="; "<-"; "*"; "+"; "-"; "/"; "("; ")"; ","; ":"; "\""; "spike"; "[atan 2]"; "state"; "option"; "learn"; "law"
       "when"; "implies"; "per-channel"; "neuron"; "S"; "V"; "H"; "X"; "I"; "0"; "1e308"; "-1"; "NaN"; "1e-320"; "\n"; " "
       "#"; "\t"; "exp"; "log"; "sqrt"; "max"; "min"; "abs"; "if"; "then"; "else"; "V'"; "é"; "\u0000" |]

/// One mutant of `text`: a character deleted, a token inserted or substituted, a line deleted, duplicated
/// or swapped with another, or several of these.
let rec private mutate (rng: Random) (text: string) (edits: int) =
    if edits = 0 then text
    else
        let lines = text.Split('\n')
        let pos = rng.Next(max 1 text.Length)
        let token () = tokens[rng.Next tokens.Length]
        let next =
            match rng.Next 6 with
            | 0 when text.Length > 0 -> text.Remove(pos, 1)
            | 1 -> text.Insert(pos, token ())
            | 2 when text.Length > 0 -> text.Remove(pos, min (1 + rng.Next 4) (text.Length - pos)).Insert(pos, token ())
            | 3 -> String.Join("\n", lines |> Array.removeAt (rng.Next lines.Length))
            | 4 -> let i = rng.Next lines.Length in String.Join("\n", Array.insertAt i lines[i] lines)
            | _ ->
                let i, j = rng.Next lines.Length, rng.Next lines.Length
                let a = Array.copy lines
                a[i] <- lines[j]
                a[j] <- lines[i]
                String.Join("\n", a)
        mutate rng next (edits - 1)

[<Tests>]
let tests =
    testSequenced <| testList "NeuronMutants" [
        testCase "every .neuron mutant exits 0, 1 or 2 within the limit and prints no stack trace" <| fun () ->
            let rng = Random seed
            use dir = new TempDir()
            let input = dir.Write("x.csv", "0.5,1.5\n2.0,0.0\n1.0,3.0\n")
            let sources = examples |> Array.map File.ReadAllText
            let problems = ResizeArray<string>()
            let codes = Array.zeroCreate<int> 4
            for k in 1..count do
                let text = mutate rng sources[rng.Next sources.Length] (1 + rng.Next 3)
                let file = dir.Write("m.neuron", text)
                let run = Task.Run(fun () ->
                    snn [ "simulate"; "--neuron-file"; file; "--input"; input; "--out"; dir.File "o.csv"; "--backend"; "eager" ])
                if not (run.Wait limit) then problems.Add $"mutant {k} ran past {limit.TotalSeconds} s:\n{text}"
                else
                    let r = run.Result
                    if r.Code < 0 || r.Code > 2 then problems.Add $"mutant {k} exited {r.Code}: {r.Err}\n{text}"
                    else codes[r.Code] <- codes[r.Code] + 1
                    if r.Err.Contains "   at " then problems.Add $"mutant {k} printed a stack trace: {r.Err}\n{text}"
                    if r.Code <> 0 && r.Err.Trim() = "" then problems.Add $"mutant {k} exited {r.Code} without a message\n{text}"
            Expect.isEmpty problems (String.Join("\n\n", problems |> Seq.truncate 5))
            // The mutants exercise both sides: some still run, most are refused.
            Expect.isGreaterThan codes[0] 0 $"no mutant ran (exit codes 0/1/2: %A{codes[..2]})"
            Expect.isGreaterThan (codes[1] + codes[2]) 0 "no mutant was refused"
    ]
