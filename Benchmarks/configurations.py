"""Parses the LABEL=[ENV:VALUE,...]@BINARY arguments of the alternating A/B scripts."""
import os


def configuration(argument):
    """(label, binary, environment) from 'label=KEY:VALUE,KEY2:VALUE2@path/to/vigil'."""
    label, _, rest = argument.partition("=")
    settings, _, binary = rest.rpartition("@")
    environment = dict(os.environ)
    for setting in filter(None, settings.split(",")):
        key, _, value = setting.partition(":")
        environment[key] = value
    return label, binary, environment
