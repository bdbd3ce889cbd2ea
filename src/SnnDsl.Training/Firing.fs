namespace SnnDsl.Training

open System.Globalization

/// The check of a network's firing that a run reports on: a spiking layer that (nearly) never fires passes
/// no gradient to what feeds it through a surrogate that is zero far from the threshold, and one that fires
/// at nearly every step carries no information. The CLI prints these warnings; F# and C# read them.
[<RequireQualifiedAccess>]
module Firing =
    /// The layers below this firing rate (spikes per neuron per step) are reported as dead.
    [<Literal>]
    let DeadBelow = 1e-4

    /// The layers at or above this firing rate are reported as saturated.
    [<Literal>]
    let SaturatedFrom = 0.99

    let private f4 (v: float) = v.ToString("0.0000", CultureInfo.InvariantCulture)

    /// A warning for each layer of `rates` (name, firing rate) that is dead or saturated, naming the layer,
    /// where it was measured (`scope`, e.g. "on the test set") and what to try.
    let warnings (scope: string) (rates: (string * float) list) : string list =
        [ for layer, rate in rates do
              if rate < DeadBelow then
                  yield
                      $"warning: {layer} fired {f4 rate} of its steps {scope}: the layer is dead. Its input may be far "
                      + "below the threshold (a neuron in other units, e.g. millivolts): check the neuron's threshold and rest "
                      + "against its input (about N(0, 1) after BatchNorm: scale X inside the neuron), or the data's scale "
                      + "and encoding (--input-scale, --input-shift, --encode)"
              elif rate >= SaturatedFrom then
                  yield
                      $"warning: {layer} fired {f4 rate} of its steps {scope}: the layer is saturated. Its input may be far "
                      + "above the threshold: check the neuron's threshold, or the data's scale (--input-scale)" ]
