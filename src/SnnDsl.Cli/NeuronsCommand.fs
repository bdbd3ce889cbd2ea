/// `snn neurons [NAME]...`: the built-in neurons with their equations, parameters and states.
module SnnDsl.Cli.NeuronsCommand

open System.IO
open Argu
open SnnDsl.Core
open SnnDsl.Torch

/// The arguments of `snn neurons`.
[<RequireQualifiedAccess>]
type NeuronsArgs =
    | [<MainCommand>] Name of name: string
    | Text

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Name _ -> "show only these built-ins (default: all of them)"
            | Text -> "print each in its text form, the start of a .neuron file (docs/dsl.md)"

/// Prints the chosen built-ins (every one by default); an unknown name is a usage error listing the valid ones.
let run (args: ParseResults<NeuronsArgs>) (out: TextWriter) : int =
    let neurons =
        match args.GetResults NeuronsArgs.Name with
        | [] -> Builtins.all
        | names -> names |> List.map (Builtins.find >> Fail.orUsage)
    if args.Contains NeuronsArgs.Text then
        neurons |> List.iteri (fun i n -> (if i > 0 then out.WriteLine()); out.Write(Describe.text n))
    else
        out.WriteLine "Built-in neurons. Parameter values are RAW: a rule sees squash(raw). `snn simulate --param NAME=VALUE`"
        out.WriteLine "sets a raw value, learnable or fixed."
        for n in neurons do
            out.WriteLine()
            out.WriteLine(Describe.neuron n)
        out.WriteLine()
        let surrogates = Surrogate.all |> List.map (fun (name, s) -> name + ":" + Describe.number (snd (Surrogate.describe s)))
        out.WriteLine("Surrogates (snn simulate --surrogate NAME[:PARAM]): " + String.concat ", " surrogates)
    ExitCode.Ok
