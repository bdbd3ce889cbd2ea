/// Parsing of devices ("cpu", "cuda:N") and surrogates ("name" or "name:param") as written on a command line.
module SnnDsl.Torch.Tests.ParseTests

open System
open System.Globalization
open Xunit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Torch.Tests.Helpers

[<Fact>]
let ``devices parse from cpu, cuda and cuda:N, and print back`` () =
    Assert.Equal(Device.Cpu, Device.Parse "cpu")
    Assert.Equal(Device.Cpu, Device.Parse " CPU ")
    Assert.Equal(Device.Cuda 0, Device.Parse "cuda")
    Assert.Equal(Device.Cuda 3, Device.Parse "cuda:3")
    Assert.Equal("cpu", string Device.Cpu)
    Assert.Equal("cuda:2", string (Device.Cuda 2))
    for bad in [ "gpu"; "cuda:"; "cuda:-1"; "cuda:x"; "" ] do
        let e = Assert.Throws<ArgumentException>(fun () -> Device.Parse bad |> ignore)
        assertMessageContains "expected cpu, cuda or cuda:N" e

[<Fact>]
let ``every surrogate parses from its name with its default parameter`` () =
    let expected =
        [ "rectangle", Surrogate.Rectangle 1.0
          "triangle", Surrogate.Triangle 1.0
          "sigmoid", Surrogate.Sigmoid 4.0
          "atan", Surrogate.Atan 2.0
          "fast-sigmoid", Surrogate.FastSigmoid 10.0 ]
    Assert.Equal<(string * Surrogate) list>(expected, Surrogate.all)
    for name, s in expected do
        Assert.Equal(Ok s, Surrogate.parse name)
        Assert.Equal(Ok s, Surrogate.parse (" " + name.ToUpperInvariant() + " "))
        Assert.Equal(name, fst (Surrogate.describe s))

[<Fact>]
let ``name:param parses any positive parameter and describe gives it back`` () =
    let gen = Gen.zip (Gen.elements (List.map fst Surrogate.all)) (Gen.map (fun s -> 1e-3 + 100.0 * Random(s).NextDouble()) genSeed)
    property 300 gen (fun (name, p) ->
        let text = name + ":" + p.ToString("R", CultureInfo.InvariantCulture)
        match Surrogate.parse text with
        | Ok s -> Assert.Equal((name, p), Surrogate.describe s)
        | Error e -> failwith e)

[<Fact>]
let ``bad surrogates are refused with the reason`` () =
    let error text =
        match Surrogate.parse text with
        | Ok s -> failwith $"'{text}' parsed as {s}"
        | Error e -> e
    let unknown = error "relu"
    Assert.Contains("unknown surrogate 'relu'", unknown)
    for name, _ in Surrogate.all do
        Assert.Contains(name, unknown)
    for bad in [ "sigmoid:"; "sigmoid:0"; "sigmoid:-1"; "sigmoid:x"; "sigmoid:NaN"; "sigmoid:Infinity" ] do
        Assert.Contains("positive number", error bad)
