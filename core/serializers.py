"""The project's ModelSerializer: every app's model serializers inherit from it, so a model's dates
and moments are read within the one supported range (core.filters) without a line in the app."""

from django.db import models
from rest_framework import serializers

from core.filters import DayField, MomentField


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: MomentField,
        models.DateField: DayField,
    }
