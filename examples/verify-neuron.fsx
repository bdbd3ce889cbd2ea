// Verifies a neuron that is not built in, from F# Interactive: examples/lif-syn.neuron (a current-based
// LIF written as text) against the standard laws and its own, Theorem 1 of AR-LIF as a law of your own,
// and the broken twin examples/lif-syn-broken.neuron, whose counterexample can be checked by hand.
// Run after a Release build:  dotnet fsi examples/verify-neuron.fsx
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsecCS.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsec.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FsCheck.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/SnnDsl.Verify.dll"

open System
open System.IO
open SnnDsl.Core
open SnnDsl.Verify

// SNNDSL_QUICK=1 (the examples' tests) checks fewer cases per law.
let cases = if Environment.GetEnvironmentVariable "SNNDSL_QUICK" = "1" then 20 else 100
let settings = { Verify.defaults with Run = { Law.defaults with Cases = cases } }
let example name = Path.Combine(__SOURCE_DIRECTORY__, name)

// 1. The neuron file: the standard laws every neuron must obey, and the law the file writes.
let file = NeuronText.load (example "lif-syn.neuron")
printfn "%s" (Describe.text file.Neuron)
for r in Verify.run settings file do
    printfn "%s" (Law.describe r)

// 2. A law of your own: AR-LIF's Theorem 1. A soft-reset leaky neuron needs no membrane state: its spikes
//    follow from the input and output histories alone (Theorems.arLifTheorem1 in SnnDsl.Core is the closed
//    form, S_t = Θ(sum_{k<=t} λ^(t-k) X_k - θ sum_{k<t} λ^(t-k) S_k - θ)). Dyadic values keep the sums exact.
let theorem1 (n: Neuron) =
    let draw =
        { Cases.defaults with RandomInitial = false; Input = Values.grid 16 -3.0 4.0 }
        |> Cases.withParam "decay" (Values.oneOf [ 0.25; 0.5; 0.75 ])
        |> Cases.withParam "threshold" (Values.grid 8 0.125 2.0)
    Law.onTrace "theorem-1" (Cases.ofNeuron draw n) (fun c trace ->
        Seq.forall (fun j -> trace.Spikes[*, j] = Theorems.arLifTheorem1 (c.Param "decay") (c.Param "threshold") c.Inputs[*, j]) (seq { 0 .. c.Columns - 1 }))

printfn "leaky-lif-soft: %s" (Law.describe (Law.checkWith settings.Run (theorem1 Builtins.leakyLifSoft)))

// 3. The broken twin (its reset adds the threshold): its law fails, shrunk to one step a reader can check.
let broken = NeuronText.load (example "lif-syn-broken.neuron")
for r in Verify.run { settings with Only = [ "reset-lowers-V" ] } broken do
    printfn "%s" (Law.describe r)
