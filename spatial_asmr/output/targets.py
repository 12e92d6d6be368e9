"""Platform loudness targets: ``output.normalize: {loudness: NAME}`` (light: no numpy).

Each preset is the integrated loudness (ITU-R BS.1770) a platform plays or
asks for, and the true-peak ceiling it asks masters to stay below; the mix
is normalised to the loudness and limited to the ceiling, float output too.

======================  =========  =========  ==============================================
preset                  LUFS       dBTP       where the figures come from
======================  =========  =========  ==============================================
``spotify``             -14        -1         Spotify for Artists, "Loudness normalization":
                                              playback is adjusted to -14 dB LUFS (ITU 1770);
                                              masters should keep below -1 dB true peak.
``youtube``             -14        -1         YouTube publishes no figure; its player turns
                                              louder uploads down to -14 LUFS (its "stats for
                                              nerds" report content loudness against it).
                                              The ceiling is Spotify's, for lossy encoding.
``apple_music``         -16        -1         Apple Music's Sound Check plays at -16 LUFS;
                                              Apple's Digital Masters guidance asks for
                                              headroom against inter-sample peaks (-1 dBTP).
``podcast``             -16        -1         Apple Podcasts, "Audio requirements": -16 LKFS
                                              (+-1 dB), true peak not above -1 dBFS; AES
                                              TD1004 recommends -16 to -20 LUFS for streaming.
``ebu_r128``            -23        -1         EBU R 128 (2020): programme loudness -23 LUFS,
                                              maximum true peak -1 dBTP.
======================  =========  =========  ==============================================
"""

__all__ = ["PRESETS", "preset"]

PRESETS = {
    "spotify": (-14.0, -1.0),
    "youtube": (-14.0, -1.0),
    "apple_music": (-16.0, -1.0),
    "podcast": (-16.0, -1.0),
    "ebu_r128": (-23.0, -1.0),
}
"""dict : Preset name -> (integrated loudness in LUFS, true-peak ceiling in dBTP)."""


def preset(name):
    """``(LUFS, dBTP)`` of a preset; ``ValueError`` naming the presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"loudness preset is {name!r} but must be one of "
                         f"{', '.join(PRESETS)}")
    return PRESETS[name]
