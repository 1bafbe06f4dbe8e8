"""Link tracking: UTM-tagged short links served at /l/<code>, their clicks and the conversions they bring."""
