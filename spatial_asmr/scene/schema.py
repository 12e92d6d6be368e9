"""JSON Schema of spatial-asmr scene files.

:data:`SCENE_SCHEMA` is the one place where the structure of a scene file is
defined: keys, types, ranges, units and defaults.  :func:`spatial_asmr.scene.
load_scene` validates against it, and it can be printed for editors that
offer completion and checking of YAML files from a JSON Schema.

Rules that JSON Schema cannot state clearly are checked in
:mod:`spatial_asmr.scene` instead and are mentioned in the descriptions here:
the block size must be a power of two, keyframe times must increase, source
names must be unique, each source has exactly one of ``position`` and
``trajectory``, and files must exist.  Numbers must also be finite, which
JSON cannot express but YAML can (``.nan``, ``.inf``).
"""

__all__ = ["SCENE_SCHEMA"]

_AZIMUTH = {
    "title": "Azimuth",
    "description": (
        "Horizontal angle in degrees (SOFA convention: 0 is straight "
        "ahead, 90 to the left).  Any finite number; values are not "
        "wrapped, so a trajectory from 0 to 360 makes one full turn."),
    "type": "number",
    "x-unit": "degree",
}

_ELEVATION = {
    "title": "Elevation",
    "description": (
        "Vertical angle in degrees: 0 is ear level, 90 straight up, -90 "
        "straight down."),
    "type": "number",
    "minimum": -90,
    "maximum": 90,
    "x-unit": "degree",
}

_DISTANCE = {
    "title": "Distance",
    "description": (
        "Distance from the centre of the head in metres, greater than 0 and "
        "at most 100."),
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": 100,
    "x-unit": "m",
}

SCENE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "spatial-asmr scene",
    "description": (
        "A binaural scene: mono sound sources placed or moved around the "
        "listener's head.  Relative paths are relative to the folder of the "
        "scene file."),
    "type": "object",
    "properties": {
        "sample_rate": {
            "title": "Sample rate",
            "description": "Sample rate of the rendered output in Hz.",
            "type": "integer",
            "minimum": 8000,
            "maximum": 384000,
            "default": 48000,
            "x-unit": "Hz",
        },
        "duration": {
            "title": "Duration",
            "description": (
                "Length of the rendered output in seconds, greater than 0.  "
                "Null (the default) renders until the last source ends."),
            "type": ["number", "null"],
            "exclusiveMinimum": 0,
            "default": None,
            "x-unit": "s",
        },
        "hrtf": {
            "title": "HRTF",
            "description": (
                "Head-related transfer functions to render with: a bundled "
                "name (kemar: MIT KEMAR; sphere: the rigid-sphere head "
                "model) or the path of a SimpleFreeFieldHRIR .sofa file."),
            "type": "string",
            "minLength": 1,
            "default": "kemar",
        },
        "render": {
            "title": "Render settings",
            "description": "How sources are rendered.  Null means defaults.",
            "type": ["object", "null"],
            "properties": {
                "interpolation": {
                    "title": "HRTF interpolation",
                    "description": (
                        "How HRTFs between measured directions are obtained: "
                        "'barycentric' blends the three nearest measurements, "
                        "'nearest' uses the closest one."),
                    "enum": ["barycentric", "nearest"],
                    "default": "barycentric",
                },
                "block_size": {
                    "title": "Block size",
                    "description": (
                        "Samples per processing block; positions are updated "
                        "once per block.  A power of two from 16 to 8192."),
                    "type": "integer",
                    "minimum": 16,
                    "maximum": 8192,
                    "default": 128,
                    "x-unit": "sample",
                },
                "distance_gain": {
                    "title": "Distance gain",
                    "description": (
                        "Whether sources get quieter with distance (true or "
                        "false): by reference_distance / distance, the distance "
                        "smoothly clamped at the head surface plus 1 cm.  When "
                        "false every source plays as at its reference distance."),
                    "type": "boolean",
                    "default": True,
                },
                "reference_distance": {
                    "title": "Reference distance",
                    "description": (
                        "Distance in metres at which a source straight ahead "
                        "plays at its file's level (each ear, on average over "
                        "frequency); closer is louder, farther quieter.  A "
                        "source's own reference_distance overrides it."),
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 100,
                    "default": 1.0,
                    "x-unit": "m",
                },
                "hrtf_level": {
                    "title": "HRTF level",
                    "description": (
                        "'frontal' scales the HRTF set once so that its frontal "
                        "response (at its farthest measured distance) has unit "
                        "broadband gain, so that a scene sounds as loud with "
                        "any set; 'measured' keeps the responses' levels as "
                        "the file has them."),
                    "enum": ["frontal", "measured"],
                    "default": "frontal",
                },
                "near_field": {
                    "title": "Near-field rendering",
                    "description": (
                        "Closer than the HRTF's measurement distance, correct "
                        "each ear's HRTF with a rigid-sphere distance "
                        "variation function and take it from the direction "
                        "seen from that ear (acoustic parallax)."),
                    "type": "boolean",
                    "default": True,
                },
                "head_radius": {
                    "title": "Head radius",
                    "description": (
                        "Radius of the spherical head model in metres, used "
                        "for near-field rendering and the closest approach."),
                    "type": "number",
                    "minimum": 0.05,
                    "maximum": 0.15,
                    "default": 0.0875,
                    "x-unit": "m",
                },
                "doppler": {
                    "title": "Doppler",
                    "description": (
                        "Delay each source by its propagation time, so that "
                        "moving sources are Doppler-shifted.  When false only "
                        "the interaural delay moves."),
                    "type": "boolean",
                    "default": False,
                },
                "engine": {
                    "title": "Convolution engine",
                    "description": (
                        "How moving sources are convolved: 'exact' blends and "
                        "crossfades the HRTFs themselves; 'basis' mixes the "
                        "sources into basis_size principal-component filters "
                        "per ear and convolves only those, so each source costs "
                        "a mixing, not an FFT (output about -30 dB from the "
                        "exact engine's at 40 filters); 'auto' takes the basis "
                        "engine from 32 moving sources sounding at once on, "
                        "where it measures faster (both skip a source where it "
                        "is silent)."),
                    "enum": ["auto", "exact", "basis"],
                    "default": "auto",
                },
                "basis_size": {
                    "title": "Basis size",
                    "description": (
                        "Basis filters per ear of the basis engine, the mean "
                        "response included: more is closer to the exact "
                        "engine and slower.  'auto' takes the fewest (a "
                        "multiple of 8) that leave out at most 0.7 % of the "
                        "spread of the HRTF set's measured responses: 40 for "
                        "the bundled KEMAR, whose leave-one-out spectral "
                        "distortion is then 1.44 dB."),
                    "type": ["integer", "string"],
                    "minimum": 2,
                    "maximum": 256,
                    "pattern": "^auto$",
                    "x-string": "'auto' or an integer from 2 to 256",
                    "default": "auto",
                },
            },
            "additionalProperties": False,
            "default": {},
        },
        "output": {
            "title": "Output settings",
            "description": (
                "Format of the rendered file.  Null means defaults."),
            "type": ["object", "null"],
            "properties": {
                "bit_depth": {
                    "title": "Bit depth",
                    "description": (
                        "Sample format of the output file: 16 or 24 bit "
                        "integer, or 'float' for 32 bit floating point."),
                    "enum": [16, 24, "float"],
                    "default": 24,
                    "x-unit": "bit",
                },
                "normalize": {
                    "title": "Normalisation",
                    "description": (
                        "'none', or a mapping with one key: 'peak' (true-peak "
                        "target in dBTP, -60 to 0) or 'loudness' (integrated "
                        "loudness target in LUFS, ITU-R BS.1770, -70 to -5).  "
                        "Integer output is always kept below -1 dBTP by a "
                        "true-peak limiter."),
                    "type": ["string", "object"],
                    "properties": {
                        "peak": {
                            "title": "Peak target",
                            "description": "True-peak level to normalise to, dBTP.",
                            "type": "number", "minimum": -60, "maximum": 0,
                            "x-unit": "dBTP",
                        },
                        "loudness": {
                            "title": "Loudness target",
                            "description": (
                                "Integrated loudness to normalise to (ITU-R "
                                "BS.1770), LUFS, or a platform preset: spotify "
                                "and youtube (-14 LUFS), apple_music and podcast "
                                "(-16), ebu_r128 (-23), each also limited to -1 "
                                "dBTP (float output too)."),
                            "type": ["number", "string"], "minimum": -70, "maximum": -5,
                            "pattern": "^(spotify|youtube|apple_music|podcast|ebu_r128)$",
                            "x-string": ("a number of LUFS from -70 to -5 or one of "
                                         "spotify, youtube, apple_music, podcast, "
                                         "ebu_r128"),
                            "x-unit": "LUFS",
                        },
                    },
                    "additionalProperties": False,
                    "default": "none",
                },
            },
            "additionalProperties": False,
            "default": {},
        },
        "listener": {
            "title": "Listener",
            "description": "The listener's head: its orientation over time.",
            "type": ["object", "null"],
            "properties": {
                "orientation": {
                    "title": "Orientation keyframes",
                    "description": (
                        "Head orientation keyframes, linear between them and "
                        "held outside; yaw is not wrapped (0 -> 360 is a full "
                        "turn to the left)."),
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/$defs/orientation"},
                },
            },
            "additionalProperties": False,
            "default": {},
        },
        "sources": {
            "title": "Sources",
            "description": "The sound sources of the scene; at least one.",
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/source"},
        },
    },
    "required": ["sources"],
    "additionalProperties": False,
    "$defs": {
        "source": {
            "title": "Source",
            "description": (
                "One sound, a mono file or a generator (exactly one of "
                "'file' and 'generator'), either at a fixed position or "
                "moving along a trajectory (exactly one of 'position' and "
                "'trajectory')."),
            "type": "object",
            "properties": {
                "name": {
                    "title": "Name",
                    "description": (
                        "Name of the source, unique within the scene.  "
                        "Defaults to 'source<index>', with the 0-based index "
                        "in the list of sources."),
                    "type": "string",
                    "minLength": 1,
                },
                "file": {
                    "title": "Audio file",
                    "description": (
                        "Path of a mono audio file (any format libsndfile "
                        "reads, e.g. WAV or FLAC)."),
                    "type": "string",
                    "minLength": 1,
                },
                "generator": {
                    "title": "Generator",
                    "description": (
                        "A procedural trigger sound instead of a file: "
                        "{type: <name>, seed: <int>, duration: <s>, "
                        "<parameters>...}; see `spatial-asmr generators` and "
                        "docs/generators.md.  duration defaults to the "
                        "scene's."),
                    "type": "object",
                    "properties": {
                        "type": {"title": "Generator name",
                                 "description": "whisper, hair_brush, scissors, "
                                                "paper_crinkle, package_open, "
                                                "tapping or touch.",
                                 "type": "string"},
                        "seed": {"title": "Seed",
                                 "description": "Random seed, an integer >= 0.",
                                 "type": "integer", "minimum": 0, "default": 0},
                        "duration": {"title": "Duration",
                                     "description": "Seconds of sound to make.",
                                     "type": "number", "exclusiveMinimum": 0,
                                     "x-unit": "s"},
                    },
                    "required": ["type"],
                },
                "channel": {
                    "title": "Channel",
                    "description": (
                        "Channel of a multichannel file to use (0 = first); "
                        "without it the file must be mono."),
                    "type": "integer",
                    "minimum": 0,
                },
                "start": {
                    "title": "Start time",
                    "description": "When the source starts, seconds from the scene start.",
                    "type": "number",
                    "minimum": 0,
                    "default": 0,
                    "x-unit": "s",
                },
                "trim": {
                    "title": "Trim",
                    "description": "[from, to]: the part of the file to play, seconds.",
                    "type": "array",
                    "items": {"type": "number", "minimum": 0},
                    "minItems": 2,
                    "maxItems": 2,
                    "x-unit": "s",
                },
                "loop": {
                    "title": "Loop",
                    "description": (
                        "Repeat the sound until the scene ends (needs the "
                        "scene's duration or another source that ends)."),
                    "type": "boolean",
                    "default": False,
                },
                "fade_in": {
                    "title": "Fade in",
                    "description": "Raised-cosine fade-in at the start, seconds.",
                    "type": "number", "minimum": 0, "default": 0, "x-unit": "s",
                },
                "fade_out": {
                    "title": "Fade out",
                    "description": "Raised-cosine fade-out at the end, seconds.",
                    "type": "number", "minimum": 0, "default": 0, "x-unit": "s",
                },
                "gain_db": {
                    "title": "Gain",
                    "description": (
                        "Gain applied to the source in dB, from -120 to 40."),
                    "type": "number",
                    "minimum": -120,
                    "maximum": 40,
                    "default": 0,
                    "x-unit": "dB",
                },
                "reference_distance": {
                    "title": "Reference distance",
                    "description": (
                        "Distance in metres at which this source plays at its "
                        "file's level; defaults to render.reference_distance."),
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 100,
                    "x-unit": "m",
                },
                "position": {
                    "title": "Position",
                    "description": "Fixed position of the source.",
                    "type": "object",
                    "properties": {
                        "azimuth": {"$ref": "#/$defs/azimuth"},
                        "elevation": {"$ref": "#/$defs/elevation"},
                        "distance": {"$ref": "#/$defs/distance"},
                    },
                    "required": ["azimuth", "elevation", "distance"],
                    "additionalProperties": False,
                },
                "trajectory": {
                    "title": "Trajectory",
                    "description": (
                        "How a moving source moves: a list of keyframes (at "
                        "least two, strictly increasing times; linear "
                        "between them, azimuth not wrapped), or a mapping "
                        "with one key naming a path type: fixed, keyframes, "
                        "orbit, sweep, spiral, hover, sequence, offset (see "
                        "docs/trajectories.md)."),
                    "type": ["array", "object"],
                    "minItems": 2,
                    "items": {"$ref": "#/$defs/keyframe"},
                },
            },
            "additionalProperties": False,
        },
        "keyframe": {
            "title": "Keyframe",
            "description": "Position of a moving source at one time.",
            "type": "object",
            "properties": {
                "time": {"$ref": "#/$defs/time"},
                "azimuth": {"$ref": "#/$defs/azimuth"},
                "elevation": {"$ref": "#/$defs/elevation"},
                "distance": {"$ref": "#/$defs/distance"},
            },
            "required": ["time", "azimuth", "elevation", "distance"],
            "additionalProperties": False,
        },
        "orientation": {
            "title": "Orientation keyframe",
            "description": "Head orientation at one time.",
            "type": "object",
            "properties": {
                "time": {"$ref": "#/$defs/time"},
                "yaw": {
                    "title": "Yaw",
                    "description": (
                        "Head turn in degrees, counter-clockwise seen from "
                        "above (positive turns the nose to the left)."),
                    "type": "number",
                    "default": 0,
                    "x-unit": "degree",
                },
                "pitch": {
                    "title": "Pitch",
                    "description": "Nose up in degrees, -90 to 90.",
                    "type": "number",
                    "minimum": -90,
                    "maximum": 90,
                    "default": 0,
                    "x-unit": "degree",
                },
                "roll": {
                    "title": "Roll",
                    "description": (
                        "Head tilt in degrees, -180 to 180; positive raises "
                        "the left ear."),
                    "type": "number",
                    "minimum": -180,
                    "maximum": 180,
                    "default": 0,
                    "x-unit": "degree",
                },
            },
            "required": ["time"],
            "additionalProperties": False,
        },
        "time": {
            "title": "Time",
            "description": (
                "Time of the keyframe in seconds from the start, at "
                "least 0 and greater than the previous keyframe's."),
            "type": "number",
            "minimum": 0,
            "x-unit": "s",
        },
        "azimuth": _AZIMUTH,
        "elevation": _ELEVATION,
        "distance": _DISTANCE,
    },
}
"""dict : JSON Schema (draft 2020-12) of a scene file.

Every key has a ``title`` and a ``description``; optional keys carry their
``default`` and quantities their unit in ``x-unit`` (an annotation that
validators ignore).  The dict holds only JSON types, so ``json.dumps`` prints
it as is.
"""
