from django import forms


class DivideForm(forms.Form):
    x = forms.FloatField(initial=1)
    y = forms.FloatField(initial=2, help_text="Try 0 to see a task fail.")
